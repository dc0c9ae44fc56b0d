/**
 * Trainable parameters owned by a loss (class proxies, class weight matrices, a learnable margin): scoped
 * `tf.Variable`s, created when the term is built and disposed with the Scope that built it (the Objective
 * layer's), listed in the term function's `variables` so the trainer updates them with the model.
 *
 * Initialisations follow PML 2.8.1 (`losses/mixins.py`, `utils/common_functions.py`), drawn from the run's seeded
 * `Rng` (stream `metric/<name>`), so the same seed gives the same proxies:
 *
 * | init | PML | values |
 * |---|---|---|
 * | `normal` | `torch.nn.init.normal_` (the default of every weight mixin) | N(0, 1) |
 * | `kaimingNormalFanOut` | `kaiming_normal_(mode="fan_out")` (proxy-anchor) | N(0, 2 / fan_out), fan_out = rows |
 * | `kaimingUniform` | `kaiming_uniform_(a=sqrt(5))` (SoftTriple) | U(-b, b), b = 1 / sqrt(fan_in), fan_in = columns |
 * @since 0.2.0
 */
import { type RandomStream, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"

/** How a parameter matrix is initialised. @category models */
export type Init =
  | { readonly _tag: "normal" }
  | { readonly _tag: "kaimingNormalFanOut" }
  | { readonly _tag: "kaimingUniform" }
  | {
      readonly _tag: "constant"
      readonly value: number
    }

/** The initial values of a `[rows, cols]` matrix (torch's fan conventions for 2-D weights: fan_in = cols, fan_out = rows). @category math */
export const initialValues = (rows: number, cols: number, init: Init, rng: RandomStream): Float32Array => {
  const out = new Float32Array(rows * cols)
  switch (init._tag) {
    case "normal":
      for (let i = 0; i < out.length; i++) out[i] = rng.normal()
      break
    case "kaimingNormalFanOut": {
      const std = Math.sqrt(2 / rows)
      for (let i = 0; i < out.length; i++) out[i] = std * rng.normal()
      break
    }
    case "kaimingUniform": {
      const bound = 1 / Math.sqrt(cols)
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound)
      break
    }
    case "constant":
      out.fill(init.value)
  }
  return out
}

// tfjs variable names are global: number them in creation order (deterministic within a process)
let created = 0

/** A scoped trainable `[rows, cols]` variable named `metric/<name>`, seeded from the run's Rng. @category constructors */
export const make = (
  name: string,
  rows: number,
  cols: number,
  init: Init
): Effect.Effect<tf.Variable<tf.Rank.R2>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const rng = (yield* Rng.Rng).stream(`metric/${name}`)
    return yield* Effect.acquireRelease(
      Effect.sync(() => {
        const values = tf.tensor2d(initialValues(rows, cols, init, rng), [rows, cols])
        created++
        const v = tf.variable(values, true, `metric/${name}/${created}`) as tf.Variable<tf.Rank.R2>
        values.dispose()
        return v
      }),
      (v) => Effect.sync(() => v.dispose())
    )
  })

/** A term function that also lists its own variables. @typeParam F - the term function (its signature is kept). @category constructors */
export const withVariables = <F extends (...args: ReadonlyArray<never>) => unknown>(
  fn: F,
  variables: ReadonlyArray<tf.Variable>
): F & { readonly variables: ReadonlyArray<tf.Variable> } => Object.assign(fn, { variables })
