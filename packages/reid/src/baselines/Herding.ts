/**
 * Exemplar selection orders: herding (Welling 2009; Rebuffi, Kolesnikov, Sperl & Lampert, CVPR 2017, "iCaRL",
 * Algorithm 4) and random. Herding picks, one at a time, the item that brings the mean of the picked items
 * closest to the mean of all items, in the feature space (features L2-normalised first, as iCaRL's phi(x) / |phi(x)|):
 *
 *     p_k = argmin_{x not picked} | mu - (x + sum_{j < k} p_j) / k |^2
 *
 * as Avalanche's `HerdingSelectionStrategy` (`avalanche/training/storage_policy.py`). Ties go to the lowest
 * index. Because the order is greedy, its first m items are the herding selection of size m: iCaRL's
 * "reduce exemplar set" is a truncation. @since 0.2.0
 */
import type { RandomStream } from "@reidfx/tensor"

const normalize = (rows: ReadonlyArray<Float32Array | ReadonlyArray<number>>): Array<Float64Array> =>
  rows.map((r) => {
    const n = Math.sqrt(Array.from(r).reduce((s, v) => s + v * v, 0))
    return Float64Array.from(r, (v) => v / Math.max(n, 1e-12))
  })

/** The herding order of `rows` (indices, every row once). @category math */
export const herdingOrder = (
  rows: ReadonlyArray<Float32Array | ReadonlyArray<number>>,
  options: { readonly normalize?: boolean } = {}
): Array<number> => {
  const x = options.normalize === false ? rows.map((r) => Float64Array.from(r)) : normalize(rows)
  const n = x.length
  if (n === 0) return []
  const dim = x[0]!.length
  const mu = new Float64Array(dim)
  for (const r of x) for (let t = 0; t < dim; t++) mu[t]! += r[t]! / n
  const picked = new Uint8Array(n)
  const sum = new Float64Array(dim)
  const order: Array<number> = []
  for (let k = 1; k <= n; k++) {
    let best = -1
    let bestD = Number.POSITIVE_INFINITY
    for (let i = 0; i < n; i++) {
      if (picked[i] === 1) continue
      let d = 0
      for (let t = 0; t < dim; t++) d += (mu[t]! - (sum[t]! + x[i]![t]!) / k) ** 2
      if (d < bestD) {
        bestD = d
        best = i
      }
    }
    picked[best] = 1
    order.push(best)
    for (let t = 0; t < dim; t++) sum[t]! += x[best]![t]!
  }
  return order
}

/** A random order (Fisher-Yates with the given stream). @category math */
export const randomOrder = (n: number, rng: RandomStream): Array<number> =>
  rng.shuffle(Array.from({ length: n }, (_, i) => i))
