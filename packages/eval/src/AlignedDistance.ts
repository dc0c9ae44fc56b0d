/**
 * AlignedReID's local distance at evaluation time (Zhang et al. 2017, section 3.1; the paper adds it to the global
 * distance optionally at test time, as the reproduction's `use_local_distance` does): for stripe features
 * `[H, C]` of a query and a gallery item, stripes L2-normalised, `d_ij = (e^{‖f_i - g_j‖} - 1) / (e^{‖f_i - g_j‖} + 1)`,
 * and the distance is the shortest monotone (down / right) path `S_HH`, `S_ij = d_ij + min(S_{i-1,j}, S_{i,j-1})`.
 * The stripe-to-stripe distances come from tfjs matrix products (blocks of queries), the path in plain JS.
 *
 * Precision: the product form `‖f‖² + ‖g‖² - 2 f·g` of unit stripes carries an absolute float32 error of about
 * 2.4e-7 (a few ulps of 2), which the square root turns into up to ~5e-4 for (nearly) identical stripes, and the
 * size of that error depends on the backend's summation order (on torch's BLAS two identical stripes come out
 * ~3e-4 apart). Cells whose squared distance is below {@link exactBelow} (distance < 0.1) are recomputed as a
 * float64 sum of squared differences of the normalised stripes; above it the error of `sqrt` is at most
 * 2.4e-7 / (2 * 0.1) = 1.2e-6, so the local distance agrees across backends to ~1e-6.
 * The same definition as `@reidfx/metric`'s differentiable `LocalDistance` (which training uses).
 * @since 0.1.0
 */
import { InvalidOption, ShapeMismatch } from "@reidfx/tensor"
import { pairwiseDistances } from "./Distances.ts"
import type { StripeFeatures } from "./FeatureFiles.ts"
import { l2Normalize } from "./Features.ts"

/** The shortest monotone path's total through an `h x w` row-major matrix. @category local @since 0.1.0 */
export const shortestPath = (d: ArrayLike<number>, h: number, w: number): number => {
  const row = new Float64Array(w)
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const here = d[i * w + j]!
      row[j] =
        i === 0 && j === 0
          ? here
          : i === 0
            ? row[j - 1]! + here
            : j === 0
              ? row[j]! + here
              : Math.min(row[j]!, row[j - 1]!) + here
    }
  }
  return row[w - 1]!
}

/**
 * Squared stripe distances below this are recomputed by differences in float64 (see the module doc).
 * @category local
 * @since 0.1.0
 */
export const exactBelow = 1e-2

const asMatrix = (s: StripeFeatures) => l2Normalize({ data: s.data, rows: s.rows * s.stripes, dim: s.dim })

/**
 * `[Q x G]` local distances, row-major (see the module doc). `queryBlock` queries at a time (default 32).
 * @category local
 * @since 0.1.0
 */
export const localDistances = (
  query: StripeFeatures,
  gallery: StripeFeatures,
  options: { readonly queryBlock?: number } = {}
): Float32Array => {
  if (query.dim !== gallery.dim)
    throw new ShapeMismatch({
      what: "localDistances: gallery stripe features",
      expected: [null, null, query.dim],
      actual: [gallery.rows, gallery.stripes, gallery.dim]
    })
  const [H, Hg] = [query.stripes, gallery.stripes]
  const q = asMatrix(query)
  const g = asMatrix(gallery)
  const out = new Float32Array(query.rows * gallery.rows)
  const block = options.queryBlock ?? 32
  const cell = new Float64Array(H * Hg)
  for (let q0 = 0; q0 < query.rows; q0 += block) {
    const n = Math.min(block, query.rows - q0)
    const chunk = { data: q.data.subarray(q0 * H * q.dim, (q0 + n) * H * q.dim), rows: n * H, dim: q.dim }
    const squared = pairwiseDistances(chunk, g, { metric: "squaredEuclidean" }) // [n H, G Hg]
    const cols = gallery.rows * Hg
    const dim = q.dim
    // the distance of query stripe row r and gallery stripe row c: the product form, or differences when small
    const stripeDistance = (r: number, c: number, s2: number): number => {
      if (s2 >= exactBelow) return Math.sqrt(s2)
      let sum = 0
      for (let k = 0; k < dim; k++) {
        const diff = q.data[r * dim + k]! - g.data[c * dim + k]!
        sum += diff * diff
      }
      return Math.sqrt(sum)
    }
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < gallery.rows; b++) {
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < Hg; j++) {
            const s2 = squared[(a * H + i) * cols + b * Hg + j]!
            cell[i * Hg + j] = Math.tanh(stripeDistance((q0 + a) * H + i, b * Hg + j, s2) / 2)
          }
        }
        out[(q0 + a) * gallery.rows + b] = shortestPath(cell, H, Hg)
      }
    }
  }
  return out
}

/** `global + weight * local`, element-wise (AlignedReID's combined test distance; weight 1 in the reproduction). @category local @since 0.1.0 */
export const combine = (global: ArrayLike<number>, local: ArrayLike<number>, weight = 1): Float32Array => {
  if (global.length !== local.length)
    throw new InvalidOption({
      what: "combined distance",
      detail: `${global.length} global and ${local.length} local distances`
    })
  return Float32Array.from(global, (v, k) => v + weight * local[k]!)
}
