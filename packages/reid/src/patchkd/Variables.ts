/**
 * Variables of a module defined against a `@reidfx/model` {@link Builder} but owned by a strategy's state rather
 * than by a model (PatchKD's patch network and patch classifiers): created from the specs with the model's
 * initialisers (`initialValue`, each parameter from the stream derived from its name, so a module created again
 * from the same stream has the same values), read and updated through a `ForwardContext`.
 * @since 0.4.0
 */
import { type Builder, type ForwardContext, initialValue } from "@reidfx/model"
import type { RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"

/** The variables of a builder's specs, by parameter name (the caller disposes them). */
export const create = (builder: Builder, rng: RandomStream): ReadonlyMap<string, tf.Variable> =>
  new Map(
    builder.specs.map((spec) => {
      const init = initialValue(spec, rng)
      const v = tf.variable(init, spec.trainable)
      init.dispose()
      return [spec.name, v] as const
    })
  )

/** A forward context over `variables`: training mode when `training`, state updates assigned to the variables. */
export const context = (variables: ReadonlyMap<string, tf.Variable>, training: boolean): ForwardContext => ({
  get: (name) => {
    const v = variables.get(name)
    if (v === undefined) throw new Error(`patchkd: no variable ${name}`)
    return v
  },
  training,
  setState: training ? (name, value) => variables.get(name)?.assign(value) : () => {}
})

/** Disposes every variable. */
export const dispose = (variables: ReadonlyMap<string, tf.Variable>): void => {
  for (const v of variables.values()) v.dispose()
}
