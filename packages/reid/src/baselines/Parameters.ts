/**
 * What the weight-regularisation baselines (EWC, MAS, SI) share: parameter values and per-parameter
 * importances as plain `Float32Array`s keyed by the model's variable names (detached, so they can be saved
 * and never sit on a gradient tape), and the quadratic penalty
 *
 *     P(theta) = sum_k Omega_k (theta_k - theta*_k)^2
 *
 * as a Term over the live variables (differentiable in them), scaled by the method's weight.
 *
 * A parameter whose size changed since its anchor was taken is not regularised: the identity classifier grows by
 * each task's new identities, so its old anchor and importance no longer line up with its entries.
 * @since 0.2.0
 */
import { Term } from "@reidfx/metric"
import * as tf from "@tensorflow/tfjs-core"

/** Values of named parameters (detached copies). @category models */
export type ParameterValues = ReadonlyMap<string, Float32Array>

/** A named trainable parameter. @category models */
export interface NamedVariable {
  readonly name: string
  readonly variable: tf.Variable
}

/** Copies the current values of the variables. @category constructors */
export const snapshot = (variables: ReadonlyArray<NamedVariable>): ParameterValues =>
  new Map(variables.map((v) => [v.name, Float32Array.from(v.variable.dataSync() as Float32Array)]))

/** Zeros shaped like the variables. @category constructors */
export const zerosLike = (variables: ReadonlyArray<NamedVariable>): Map<string, Float32Array> =>
  new Map(variables.map((v) => [v.name, new Float32Array(v.variable.size)]))

/** `sum_k Omega_k (theta_k - anchor_k)^2` of plain values (a reference for the tensor form). @category math */
export const penaltyValue = (
  current: ParameterValues,
  anchor: ParameterValues,
  importance: ParameterValues
): number => {
  let s = 0
  for (const [name, omega] of importance) {
    const theta = current.get(name)
    const star = anchor.get(name)
    if (theta === undefined || star === undefined || theta.length !== omega.length || star.length !== omega.length)
      continue
    for (let i = 0; i < omega.length; i++) s += omega[i]! * (theta[i]! - star[i]!) ** 2
  }
  return s
}

/** `sum_k Omega_k (theta_k - anchor_k)^2` over live variables (differentiable); parameters without importance are skipped. @category math */
export const penalty = (
  variables: ReadonlyArray<NamedVariable>,
  anchor: ParameterValues,
  importance: ParameterValues
): tf.Scalar =>
  tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0)
    for (const { name, variable } of variables) {
      const omega = importance.get(name)
      const star = anchor.get(name)
      if (omega === undefined || star === undefined || omega.length !== variable.size || star.length !== variable.size)
        continue
      const d = tf.sub(variable, tf.tensor(star, variable.shape))
      total = tf.add(total, tf.sum(tf.mul(tf.tensor(omega, variable.shape), tf.square(d))))
    }
    return total
  })

/** The penalty `weight * sum_j P_j` of one or more (anchor, importance) pairs as a Term named `name`. @category constructors */
export const penaltyTerm = (
  name: string,
  describe: object,
  variables: ReadonlyArray<NamedVariable>,
  pairs: ReadonlyArray<{ readonly anchor: ParameterValues; readonly importance: ParameterValues }>,
  weight: number
): Term.Term<never> =>
  Term.make(
    name,
    describe,
    () => {
      const loss = pairs.reduce<tf.Scalar>(
        (acc, p) => tf.add(acc, penalty(variables, p.anchor, p.importance)),
        tf.scalar(0)
      )
      return { loss }
    },
    weight
  )

/**
 * Elementwise `a * x + b * y` of two value maps (keys of `y`; a missing `x` entry, or one of another size (a grown
 * classifier), counts as 0). @category math
 */
export const combine = (
  a: number,
  x: ParameterValues | undefined,
  b: number,
  y: ParameterValues
): Map<string, Float32Array> =>
  new Map(
    [...y].map(([name, values]) => {
      const previous = x?.get(name)
      const old = previous?.length === values.length ? previous : undefined
      return [name, Float32Array.from(values, (v, i) => a * (old?.[i] ?? 0) + b * v)] as const
    })
  )

/**
 * Accumulates `f(gradient)` over batches and returns the mean per parameter: the empirical Fisher diagonal
 * (`f = g^2`, EWC) or the MAS importance (`f = |g|`). `gradients` runs one batch and returns each variable's
 * gradient (tensors the accumulator disposes). @category math
 */
export const meanOverBatches = (
  variables: ReadonlyArray<NamedVariable>,
  batches: number,
  gradients: (batch: number) => ReadonlyMap<string, tf.Tensor>,
  f: (g: number) => number
): Map<string, Float32Array> => {
  const sums = zerosLike(variables)
  for (let b = 0; b < batches; b++) {
    const grads = gradients(b)
    for (const [name, g] of grads) {
      const acc = sums.get(name)
      if (acc !== undefined) {
        const v = g.dataSync()
        for (let i = 0; i < acc.length; i++) acc[i]! += f(v[i]!)
      }
      g.dispose()
    }
  }
  for (const acc of sums.values()) for (let i = 0; i < acc.length; i++) acc[i]! /= Math.max(1, batches)
  return sums
}

/** The entries of `values` with their names under `prefix/` (a state's arrays, see `Regularizer.toArrays`). @category constructors */
export const prefixed = (
  prefix: string,
  values: ParameterValues | undefined
): ReadonlyArray<readonly [string, Float32Array]> =>
  values === undefined ? [] : [...values].map(([name, v]) => [`${prefix}/${name}`, v] as const)

/** The entries of `arrays` under `prefix/`, with the prefix removed; undefined when there are none. @category math */
export const underPrefix = (
  prefix: string,
  arrays: ReadonlyMap<string, Float32Array>
): Map<string, Float32Array> | undefined => {
  const out = new Map<string, Float32Array>()
  for (const [name, v] of arrays) if (name.startsWith(`${prefix}/`)) out.set(name.slice(prefix.length + 1), v)
  return out.size === 0 ? undefined : out
}
