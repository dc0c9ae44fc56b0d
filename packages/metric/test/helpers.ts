/** Shared test helpers: the cpu backend, plain-JS reference math, finite differences. */
import "@tensorflow/tfjs-backend-cpu"
import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { beforeAll } from "vitest"

/** Every metric test file runs on the exact cpu backend. */
export const useCpu = () =>
  beforeAll(async () => {
    await tf.setBackend("cpu")
    await tf.ready()
  })

export type Matrix = ReadonlyArray<ReadonlyArray<number>>

export const emb = (rows: Matrix): tf.Tensor2D => tf.tensor2d(rows as Array<Array<number>>)
export const lab = (values: ReadonlyArray<number>): tf.Tensor1D => tf.tensor1d(values as Array<number>, "int32")
export const num = (t: tf.Tensor): number => t.dataSync()[0]!

/** Euclidean distance between two rows. */
export const l2 = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0))
export const sq = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0)
export const cos = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0)
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0))
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0))
  return na === 0 || nb === 0 ? 0 : dot / (na * nb)
}
export const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)))
export const relu = (x: number): number => Math.max(0, x)

/** Reference batch-hard triplet (loop over anchors), mean over valid anchors. */
export const refBatchHard = (x: Matrix, y: ReadonlyArray<number>, margin: number, soft = false): number => {
  let sum = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    let hp = Number.NEGATIVE_INFINITY
    let hn = Number.POSITIVE_INFINITY
    for (let j = 0; j < x.length; j++) {
      if (j === a) continue
      const d = l2(x[a]!, x[j]!)
      if (y[j] === y[a]) hp = Math.max(hp, d)
      else hn = Math.min(hn, d)
    }
    if (!Number.isFinite(hp) || !Number.isFinite(hn)) continue
    sum += soft ? softplus(hp - hn) : relu(hp - hn + margin)
    n++
  }
  return n === 0 ? 0 : sum / n
}

/** Reference batch-all triplet: [mean over all, mean over non-zero]. */
export const refBatchAll = (x: Matrix, y: ReadonlyArray<number>, margin: number): readonly [number, number] => {
  let sum = 0
  let n = 0
  let nz = 0
  for (let a = 0; a < x.length; a++)
    for (let p = 0; p < x.length; p++) {
      if (p === a || y[p] !== y[a]) continue
      for (let q = 0; q < x.length; q++) {
        if (y[q] === y[a]) continue
        const l = relu(l2(x[a]!, x[p]!) - l2(x[a]!, x[q]!) + margin)
        sum += l
        n++
        if (l > 0) nz++
      }
    }
  return [n === 0 ? 0 : sum / n, nz === 0 ? 0 : sum / nz]
}

/** Reference soft-hard triplet (masked softmax weights), mean over valid anchors. */
export const refSoftHard = (x: Matrix, y: ReadonlyArray<number>, t: number, margin: number, soft: boolean): number => {
  let sum = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    const ps: Array<number> = []
    const ns: Array<number> = []
    for (let j = 0; j < x.length; j++) {
      if (j === a) continue
      const d = l2(x[a]!, x[j]!)
      if (y[j] === y[a]) ps.push(d)
      else ns.push(d)
    }
    if (ps.length === 0 || ns.length === 0) continue
    const wavg = (ds: Array<number>, sign: number) => {
      const m = Math.max(...ds.map((d) => (sign * d) / t))
      const es = ds.map((d) => Math.exp((sign * d) / t - m))
      const z = es.reduce((s, e) => s + e, 0)
      return ds.reduce((s, d, i) => s + (d * es[i]!) / z, 0)
    }
    const g = wavg(ps, 1) - wavg(ns, -1)
    sum += soft ? softplus(g) : relu(g + margin)
    n++
  }
  return n === 0 ? 0 : sum / n
}

/** Reference circle loss (pair-wise, cosine), mean over valid anchors. */
export const refCircle = (x: Matrix, y: ReadonlyArray<number>, m: number, gamma: number): number => {
  let sum = 0
  let n = 0
  for (let a = 0; a < x.length; a++) {
    const zp: Array<number> = []
    const zn: Array<number> = []
    for (let j = 0; j < x.length; j++) {
      if (j === a) continue
      const s = cos(x[a]!, x[j]!)
      if (y[j] === y[a]) zp.push(-gamma * Math.max(1 + m - s, 0) * (s - (1 - m)))
      else zn.push(gamma * Math.max(s + m, 0) * (s - m))
    }
    if (zp.length === 0 || zn.length === 0) continue
    const lse = (z: Array<number>) => {
      const mx = Math.max(...z)
      return mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0))
    }
    sum += softplus(lse(zn) + lse(zp))
    n++
  }
  return n === 0 ? 0 : sum / n
}

/**
 * Central finite differences of `f` at `x` (in float64 on the JS side; f evaluated by tfjs in float32) compared
 * with `tf.grad`. Returns the worst |analytic - numeric| / max(1, |numeric|).
 */
export const gradientError = (f: (x: tf.Tensor2D) => tf.Scalar, x: Matrix, h = 1e-2): number => {
  const base = emb(x)
  const g = tf.grad((t: tf.Tensor) => f(t as tf.Tensor2D))(base)
  const analytic = g.dataSync()
  g.dispose()
  base.dispose()
  let worst = 0
  const rows = x.length
  const cols = x[0]!.length
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const y = x.map((r, ri) => r.map((v, ci) => (ri === i && ci === j ? v + delta : v)))
          return num(f(emb(y)))
        })
      const numeric = (at(h) - at(-h)) / (2 * h)
      const err = Math.abs(analytic[i * cols + j]! - numeric) / Math.max(1, Math.abs(numeric))
      worst = Math.max(worst, Number.isNaN(err) ? Number.POSITIVE_INFINITY : err)
    }
  return worst
}

/** Small PK batches: `p` identities x `k` images, `dim`-d embeddings with well separated entries. */
export const pkBatch = (p: number, k: number, dim: number) =>
  fc
    .array(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: dim, maxLength: dim }), {
      minLength: p * k,
      maxLength: p * k
    })
    .map((rows) => ({
      x: rows.map((r, i) => r.map((v, j) => v / 10 + 0.013 * i + 0.007 * j)),
      y: rows.map((_, i) => Math.floor(i / k))
    }))

/** A permutation of 0..n-1. */
export const permutation = (n: number) =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys
      .map((k, i) => [k, i] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([, i]) => i)
  )

/** Evaluates a loss inside `tf.tidy` and returns plain numbers. */
export const evaluate = (f: () => { readonly loss: tf.Scalar; readonly stats?: Readonly<Record<string, tf.Scalar>> }) =>
  tf.tidy(() => {
    const v = f()
    const stats: Record<string, number> = {}
    for (const [k, s] of Object.entries(v.stats ?? {})) stats[k] = num(s)
    return { loss: num(v.loss), stats }
  })

/** `tf.tidy` for a function returning plain values (typed arrays, records). */
export const tidyValue = <A>(f: () => A): A => tf.tidy(f as unknown as () => tf.TensorContainer) as unknown as A
