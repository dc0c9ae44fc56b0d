/** Shared test helpers: the cpu backend, reading tensors, plain-JS references. */
import type * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import { beforeAll } from "vitest"

/** Activates the exact cpu backend for the file. */
export const useCpu = (): void => {
  beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))
}

/** Reads a scalar and disposes it. */
export const value = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!
  t.dispose()
  return v
}

/** Reads a tensor as nested arrays and disposes it. */
export const matrix = (t: tf.Tensor): Array<Array<number>> => {
  const v = t.arraySync() as Array<Array<number>>
  t.dispose()
  return v
}

export const sqDist = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0)

export const dist = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => Math.sqrt(sqDist(a, b))

export const softmax = (z: ReadonlyArray<number>): Array<number> => {
  const m = Math.max(...z)
  const e = z.map((x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

/** KL(p || q) over the entries (p_k = 0 contributes 0). */
export const kl = (p: ReadonlyArray<number>, q: ReadonlyArray<number>): number =>
  p.reduce((s, pk, k) => (pk === 0 ? s : s + pk * Math.log(pk / q[k]!)), 0)

/** A matrix of random numbers from a fast-check array. */
export const reshape = (flat: ReadonlyArray<number>, rows: number, cols: number): Array<Array<number>> =>
  Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols))
