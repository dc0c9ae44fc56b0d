/**
 * Query-by-gallery distance matrices computed with tfjs matrix products, block by block, into a plain row-major
 * `Float32Array` (the input of every ranking metric).
 *
 * - `squaredEuclidean`: `|q|^2 + |g|^2 - 2 q.g`, clamped at 0 (what torchreid and fast-reid rank with).
 * - `euclidean`: its square root (same ranking as `squaredEuclidean`).
 * - `cosine`: `1 - q.g / (|q| |g|)` (features are L2-normalised first).
 * @since 0.1.0
 */
import { FusedKernels, InvalidOption, ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { type FeatureMatrix, l2Normalize } from "./Features.ts"

/** The distances the ranking protocols can use. */
export type DistanceMetric = "euclidean" | "squaredEuclidean" | "cosine"

/** The allowed {@link DistanceMetric} names. */
export const distanceMetrics: ReadonlyArray<DistanceMetric> = ["euclidean", "squaredEuclidean", "cosine"]

/** Options of {@link pairwiseDistances}. */
export interface PairwiseDistanceOptions {
  /** Default `"euclidean"`. */
  readonly metric?: DistanceMetric
  /** Upper bound on the entries of one block (rows x gallery size), to bound memory. Default 8,388,608 (32 MiB). */
  readonly blockElements?: number
}

const squaredNorms = (m: FeatureMatrix): Float32Array => {
  const out = new Float32Array(m.rows)
  for (let i = 0; i < m.rows; i++) {
    let s = 0
    const base = i * m.dim
    for (let k = 0; k < m.dim; k++) {
      const v = m.data[base + k]!
      s += v * v
    }
    out[i] = s
  }
  return out
}

/**
 * Distances between every query row and every gallery row, `[queries x gallery]` row-major float32.
 * Runs on the active tfjs backend (one matrix product per block of query rows; the gallery is transposed once,
 * because transposed products take a slow path on wasm). A backend with `FusedKernels.pairwiseDistances` (torch)
 * computes each block in that one kernel (one BLAS product, the rest in place) from the same squared norms. Throws {@link ShapeMismatch} when dimensions differ.
 * @category constructors
 */
export const pairwiseDistances = (
  query: FeatureMatrix,
  gallery: FeatureMatrix,
  options: PairwiseDistanceOptions = {}
): Float32Array => {
  const metric = options.metric ?? "euclidean"
  if (!distanceMetrics.includes(metric)) {
    throw new InvalidOption({
      what: "pairwiseDistances: metric",
      detail: `"${metric}" is not one of ${distanceMetrics.join(", ")}`
    })
  }
  if (query.dim !== gallery.dim) {
    throw new ShapeMismatch({
      what: "pairwiseDistances: gallery features",
      expected: [null, query.dim],
      actual: [gallery.rows, gallery.dim]
    })
  }
  const q = metric === "cosine" ? l2Normalize(query) : query
  const g = metric === "cosine" ? l2Normalize(gallery) : gallery
  const out = new Float32Array(q.rows * g.rows)
  if (q.rows === 0 || g.rows === 0) return out
  const blockRows = Math.max(1, Math.floor((options.blockElements ?? 8_388_608) / g.rows))
  const qNorms = squaredNorms(q)
  const gNorms = squaredNorms(g)
  // a backend with the fused kernel (torch) computes each block in one kernel from the gallery as it is
  const fused = FusedKernels.hasKernel(FusedKernels.PairwiseDistancesKernel)
  const galleryT = tf.tidy(() => {
    const rows = tf.tensor2d(g.data, [g.rows, g.dim])
    return fused ? rows : tf.transpose(rows)
  })
  const gNormRow = tf.tensor2d(gNorms, [1, g.rows])
  try {
    for (let start = 0; start < q.rows; start += blockRows) {
      const end = Math.min(q.rows, start + blockRows)
      const block = tf.tidy(() => {
        const qBlock = tf.tensor2d(q.data.subarray(start * q.dim, end * q.dim), [end - start, q.dim])
        const qNormCol = tf.tensor2d(qNorms.subarray(start, end), [end - start, 1])
        if (fused) {
          const gNorms1d = tf.reshape(gNormRow, [g.rows]) as tf.Tensor1D
          return FusedKernels.pairwiseDistances(qBlock, galleryT as tf.Tensor2D, qNormCol, gNorms1d, metric)!
        }
        const dot = tf.matMul(qBlock, galleryT)
        if (metric === "cosine") return tf.sub(1, dot)
        const squared = tf.relu(tf.add(tf.add(qNormCol, gNormRow), tf.mul(dot, -2)))
        return metric === "euclidean" ? tf.sqrt(squared) : squared
      })
      const values = block.dataSync() as Float32Array
      block.dispose()
      out.set(values, start * g.rows)
    }
  } finally {
    galleryT.dispose()
    gNormRow.dispose()
  }
  return out
}

/** Reference distance of two rows computed in float64 (for tests and small inputs). */
export const distance = (a: ArrayLike<number>, b: ArrayLike<number>, metric: DistanceMetric = "euclidean"): number => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let k = 0; k < a.length; k++) {
    dot += a[k]! * b[k]!
    na += a[k]! * a[k]!
    nb += b[k]! * b[k]!
  }
  if (metric === "cosine") return 1 - (na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0)
  const sq = Math.max(0, na + nb - 2 * dot)
  return metric === "euclidean" ? Math.sqrt(sq) : sq
}
