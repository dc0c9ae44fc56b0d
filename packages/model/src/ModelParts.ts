/**
 * The parts every scoped model is built from (the image models of this package and the video models of
 * `@reidfx/video`): scoped variables initialised from specs, scoped frozen copies, name lookups and the shared
 * `forward` / `embed` over a network definition.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import type { RandomStream } from "@reidfx/tensor"
import { Effect, type Scope } from "effect"
import { detachOutputs } from "./detach.ts"
import { initialValue } from "./Init.ts"
import { parameterCount } from "./Network.ts"
import type { ForwardContext, ParamSpec } from "./nn/Builder.ts"

/** What {@link modelBase} needs of a network definition (image or video). @since 0.1.0 */
export interface NetworkLike<Config, Input extends tf.Tensor> {
  readonly config: Config
  readonly specs: ReadonlyArray<ParamSpec>
  readonly featureDim: number
  /** The network's forward pass over its parameters (read through the context). */
  readonly forward: (ctx: ForwardContext, inputs: Input) => ModelOutputs
}

/**
 * The members shared by trainable and frozen models: `forward` (training mode only when not frozen; frozen
 * outputs detached) and `embed` (`neckFeatures`, else `features`, in inference mode).
 * @since 0.1.0
 */
export const modelBase = <Config, Input extends tf.Tensor, N extends NetworkLike<Config, Input>>(
  network: N,
  get: (name: string) => tf.Tensor,
  setState: (name: string, value: tf.Tensor) => void,
  frozen: boolean
) => {
  const forward = (inputs: Input, options?: { readonly training?: boolean }): ModelOutputs => {
    const training = !frozen && options?.training === true
    const ctx: ForwardContext = { get, training, setState: training ? setState : () => {} }
    const out = network.forward(ctx, inputs)
    return frozen ? detachOutputs(out) : out
  }
  return {
    config: network.config,
    network,
    featureDim: network.featureDim,
    parameterCount: parameterCount(network.specs),
    /** The forward pass, in training mode when asked (BatchNorm batch statistics, dropout). */
    forward,
    /** The evaluation embedding: the neck features when the head has a BNNeck, else the pooled features; inference mode. */
    embed: (inputs: Input) =>
      tf.tidy(() => {
        const out = forward(inputs, { training: false })
        return (out.neckFeatures ?? out.features) as tf.Tensor2D
      })
  }
}

/** A lookup of `tensors` by name that throws `<what>: no tensor for <name>` when one is missing. @since 0.1.0 */
export const tensorGetter =
  (tensors: ReadonlyMap<string, tf.Tensor>, what: string) =>
  (name: string): tf.Tensor => {
    const t = tensors.get(name)
    if (t === undefined) throw new Error(`${what}: no tensor for ${name}`)
    return t
  }

/** One `tf.Variable` per spec, initialised from `rng` (per-parameter streams), disposed when the Scope closes. @since 0.1.0 */
export const scopedVariables = (
  specs: ReadonlyArray<ParamSpec>,
  rng: RandomStream
): Effect.Effect<Map<string, tf.Variable>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const map = new Map<string, tf.Variable>()
      for (const spec of specs) {
        const init = initialValue(spec, rng)
        map.set(spec.name, tf.variable(init, spec.trainable))
        init.dispose()
      }
      return map
    }),
    (map) =>
      Effect.sync(() =>
        map.forEach((v) => {
          v.dispose()
        })
      )
  )

/** Kept copies of `weights`, disposed when the Scope closes. @since 0.1.0 */
export const scopedCopies = (
  weights: ReadonlyMap<string, tf.Tensor>
): Effect.Effect<ReadonlyMap<string, tf.Tensor>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new Map([...weights].map(([k, v]) => [k, tf.keep(tf.clone(v))] as const))),
    (m) =>
      Effect.sync(() =>
        m.forEach((t) => {
          t.dispose()
        })
      )
  )

/**
 * `get` (the variable of a parameter name) and `nameOf` (the parameter name of a variable) over `variables`;
 * errors are prefixed with `what` (e.g. `model`).
 * @since 0.1.0
 */
export const variableLookups = (variables: ReadonlyMap<string, tf.Variable>, what: string) => {
  const names = new Map<string, string>([...variables].map(([k, v]) => [v.name, k]))
  return {
    /** The variable of a parameter name; an unknown name is an error naming it. */
    get: (name: string): tf.Tensor => {
      const v = variables.get(name)
      if (v === undefined) throw new Error(`${what}: no variable ${name}`)
      return v
    },
    /** The parameter name of a variable of this model. */
    nameOf: (v: tf.Variable): string => {
      const n = names.get(v.name)
      if (n === undefined) throw new Error(`${what}: variable ${v.name} is not a parameter of this model`)
      return n
    }
  }
}
