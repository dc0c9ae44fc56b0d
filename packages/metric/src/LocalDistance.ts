/**
 * AlignedReID's local distance (Zhang et al., "AlignedReID: Surpassing Human-Level Performance in Person
 * Re-Identification", 2017, section 3.1): two images' horizontal stripe features `f_1..f_H` and `g_1..g_H`
 * are aligned by the shortest path through the matrix of normalised stripe-to-stripe distances,
 *
 *     d_ij = (e^{||f_i - g_j||} - 1) / (e^{||f_i - g_j||} + 1)        (= tanh(||f_i - g_j|| / 2), in [0, 1))
 *     S_ij = d_ij + min(S_{i-1,j}, S_{i,j-1}),   S_11 = d_11            (moves down or right only)
 *     local distance = S_HH
 *
 * the total distance of the cheapest monotone path from (1, 1) to (H, H). The normalisation keeps an
 * unmatched (far) pair of stripes from dominating the path, so a body part missing in one image costs at most 1.
 * As in the released reproduction (huanghoujing/AlignedReID-Re-Production-Pytorch, `aligned_reid/model/loss.py`
 * `shortest_dist`, `local_dist`), stripe features are L2-normalised first (`normalize: true`, its
 * `normalize_feature` default). The DP is differentiable (the gradient follows the chosen path).
 * @since 0.1.0
 */
import { type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import * as Distance from "./Distance.ts"

/** `[B, H, C]` stripe (local) features: H horizontal stripes of C channels each. @category models @since 0.1.0 */
export type LocalFeatures = tf.Tensor3D

/** The element-wise normalisation `(e^d - 1) / (e^d + 1)` (= `tanh(d / 2)`). @category math @since 0.1.0 */
export const normalizeDistance = <T extends tf.Tensor>(d: T): T => tf.tidy(() => tf.tanh(tf.div(d, 2)) as T)

/**
 * The cheapest monotone (down / right) path's total through the last two axes of `d: [..., H, W]`, from
 * `[0, 0]` to `[H-1, W-1]`: `[...]`. Differentiable.
 * @category math
 * @since 0.1.0
 */
export const shortestPath = (d: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const rank = d.rank
    const [h, w] = [d.shape[rank - 2]!, d.shape[rank - 1]!]
    const cells = tf.unstack(tf.reshape(d, [-1, h * w]), 1) // each [P]
    const prev: Array<tf.Tensor> = []
    let row: Array<tf.Tensor> = []
    for (let i = 0; i < h; i++) {
      row = []
      for (let j = 0; j < w; j++) {
        const here = cells[i * w + j]!
        if (i === 0 && j === 0) row.push(here)
        else if (i === 0) row.push(tf.add(row[j - 1]!, here))
        else if (j === 0) row.push(tf.add(prev[j]!, here))
        else row.push(tf.add(tf.minimum(prev[j]!, row[j - 1]!), here))
      }
      prev.splice(0, prev.length, ...row)
    }
    return tf.reshape(row[w - 1]!, d.shape.slice(0, rank - 2))
  })

/**
 * `[Q, G, H, H']` normalised stripe-to-stripe distances between every query and gallery item.
 * @category math
 * @since 0.1.0
 */
export const stripeDistances = (queries: LocalFeatures, gallery: LocalFeatures, normalize = true): tf.Tensor4D => {
  Tensor.assertShapes("stripeDistances", [
    [queries, [null, null, "channels"], "query stripe features"],
    [gallery, [null, null, "channels"], "gallery stripe features"]
  ])
  return tf.tidy(() => {
    const [q, h, c] = queries.shape
    const [g, h2] = gallery.shape
    const prep = (x: tf.Tensor3D, n: number, s: number) => {
      const flat = tf.reshape(x, [n * s, c]) as Embeddings
      return normalize ? Distance.l2Normalize(flat) : flat
    }
    const d = Distance.euclideanMatrix(prep(queries, q, h), prep(gallery, g, h2)) // [Q*H, G*H']
    return normalizeDistance(tf.transpose(tf.reshape(d, [q, h, g, h2]), [0, 2, 1, 3])) as tf.Tensor4D
  })
}

/** `[Q, G]` local (aligned) distances. Differentiable. @category math @since 0.1.0 */
export const matrix = (queries: LocalFeatures, gallery?: LocalFeatures, normalize = true): tf.Tensor2D =>
  tf.tidy(() => shortestPath(stripeDistances(queries, gallery ?? queries, normalize)) as tf.Tensor2D)

/**
 * `[T]` local distances of the pairs `(rows[t], cols[t])` of one batch `[B, H, C]` (only those pairs' DPs:
 * how the hard triplets mined by the global distance get their local distances). Differentiable.
 * @category math
 * @since 0.1.0
 */
export const pairs = (x: LocalFeatures, rows: Int32Array, cols: Int32Array, normalize = true): tf.Tensor1D =>
  tf.tidy(() => {
    if (rows.length === 0) return tf.zeros([0]) as tf.Tensor1D
    const [b, h, c] = x.shape
    const flat = tf.reshape(x, [b, h * c]) as tf.Tensor2D
    const pick = (idx: Int32Array) => {
      const oneHot = new Float32Array(idx.length * b)
      for (let t = 0; t < idx.length; t++) oneHot[t * b + idx[t]!] = 1
      const picked = tf.reshape(tf.matMul(tf.tensor2d(oneHot, [idx.length, b]), flat), [
        idx.length * h,
        c
      ]) as tf.Tensor2D
      return normalize ? Distance.l2Normalize(picked) : picked
    }
    const [a, p] = [pick(rows), pick(cols)]
    // [T, H, H]: every stripe of a against every stripe of p, for the same t
    const a3 = tf.reshape(a, [rows.length, h, 1, c])
    const p3 = tf.reshape(p, [rows.length, 1, h, c])
    const sq = tf.sum(tf.square(tf.sub(a3, p3)), -1)
    const positive = tf.step(tf.sub(sq, Distance.DEFAULT_EPSILON))
    const d = tf.mul(tf.sqrt(tf.add(tf.mul(sq, positive), tf.sub(1, positive))), positive)
    return shortestPath(normalizeDistance(d)) as tf.Tensor1D
  })

/** Options of {@link blocked}. @category models @since 0.1.0 */
export interface BlockedOptions {
  /** L2-normalise stripes first (default true). */
  readonly normalize?: boolean
  /** Queries per block (default 64); gallery items per block (default 512). */
  readonly queryBlock?: number
  readonly galleryBlock?: number
}

/**
 * The `[Q, G]` local distances of a whole evaluation (no gradient), computed block by block so that
 * `[q, g, H, H]` never exceeds `queryBlock * galleryBlock * H^2` floats. Returns plain row-major values.
 * @category math
 * @since 0.1.0
 */
export const blocked = (queries: LocalFeatures, gallery: LocalFeatures, options: BlockedOptions = {}): Float32Array => {
  const [q, g] = [queries.shape[0], gallery.shape[0]]
  const qb = options.queryBlock ?? 64
  const gb = options.galleryBlock ?? 512
  const out = new Float32Array(q * g)
  for (let i = 0; i < q; i += qb) {
    for (let j = 0; j < g; j += gb) {
      const block = tf.tidy(() => {
        const qs = tf.slice(queries, [i, 0, 0], [Math.min(qb, q - i), -1, -1])
        const gs = tf.slice(gallery, [j, 0, 0], [Math.min(gb, g - j), -1, -1])
        return matrix(qs, gs, options.normalize ?? true)
      })
      const values = block.dataSync()
      const [rows, cols] = block.shape
      for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols, (r + 1) * cols), (i + r) * g + j)
      block.dispose()
    }
  }
  return out
}
