/**
 * k-reciprocal re-ranking (Zhong, Zheng, Cao, Li, "Re-ranking Person Re-identification with k-reciprocal
 * Encoding", CVPR 2017), matching the authors' `re_ranking.py` step by step, but at Market-1501 scale: no
 * `(queries + gallery)^2` matrix is ever held (float32 rows computed block by block, top-k neighbour lists, a
 * sparse `V`).
 *
 * Conventions of the original code, all kept (N = queries + gallery, items ordered queries first):
 * 1. **Squared distances.** The original squares its input distances (`np.power(original_dist, 2)`), which are
 *    Euclidean distances in the authors' feature version, so re-ranking works on squared Euclidean distances.
 *    `reRankFeatures` computes squared Euclidean distances directly; `reRankDistances` squares the matrices it is
 *    given, like the original (so feeding it squared distances, as torchreid does, gives 4th powers).
 * 2. **Column-max normalisation.** `original_dist / max(original_dist, axis=0)` then a transpose: as the matrix is
 *    symmetric, row `i` is divided by its own maximum, `d(i, j) = x(i, j) / max_k x(i, k)` (not symmetric).
 * 3. **Neighbour lists include the item itself** (its distance is 0): `N(i, k)` = the first `k + 1` items of the
 *    argsort of row `i` (`initial_rank[i, :k1+1]`); ties are broken toward the lower index (the original's
 *    `np.argsort` is quicksort, unspecified on ties).
 * 4. **k-reciprocal set** `R(i, k1) = { j in N(i, k1) : i in N(j, k1) }`, in the order of `N(i, k1)`.
 * 5. **Expansion**: for each `c` in `R(i, k1)`, `R(c, round(k1/2))` is added when
 *    `|R(c, round(k1/2)) ∩ R(i, k1)| > 2/3 |R(c, round(k1/2))|` (strict). `round` is numpy's half-to-even
 *    (`np.around`): 20 -> 10, 21 -> 10, 23 -> 12.
 * 6. **Gaussian-kernel weights**: `V(i, j) = exp(-d(i, j)) / sum_{j' in R*} exp(-d(i, j'))` over the expanded set
 *    `R*(i)`, 0 elsewhere (a sparse row); the sum is numpy's float32 pairwise summation ({@link numpySum32}), as
 *    `np.sum` computes it.
 * 7. **Local query expansion** (k2 != 1): `V(i) <- mean of V(j) over the first k2 items of i's argsort` (itself
 *    included).
 * 8. **Jaccard distance via sparse V**: `d_J(i, g) = 1 - m / (2 - m)` with `m = sum_j min(V(i, j), V(g, j))`
 *    (the original's `temp_min`, accumulated through an inverted index of V's columns).
 * 9. **Final distance** `(1 - lambda) d_J + lambda d`, query rows, gallery columns.
 *
 * 10. **Degenerate rows.** When every item coincides with item `i` (its row of distances is all 0) the original divides
 *     0 by 0 and returns NaN; here that row is left at 0 (no NaN).
 *
 * All stored values are float32 and every arithmetic step is rounded to float32 in the original's order, so the
 * result agrees with a dense float32 port of `re_ranking.py` (see the tests); against numpy itself it differs by
 * float32 round-off only (numpy's vectorised float32 `exp` is not correctly rounded).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema } from "effect"
import { NonFiniteTensor } from "@reidfx/tensor"
import { countNonFinite, type FeatureMatrix, type FeaturesInput, toFeatureMatrix } from "./Features.ts"
import { attempt, checkLength, checkNonEmpty, decodeOptions, type EvalFailure } from "./internal.ts"

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(value)))

/** Options of k-reciprocal re-ranking (defaults of the paper: 20 / 6 / 0.3). @category options */
export const ReRankingOptions = Schema.Struct({
  /** Size of the k-reciprocal neighbourhood. Default 20. */
  k1: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 20),
  /** Size of the local query expansion (1 disables it). Default 6. */
  k2: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 6),
  /** Weight of the original distance in the final distance. Default 0.3. */
  lambda: withDefault(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })), 0.3),
  /** Rows per block when computing distances from features (memory bound). Default 512. */
  blockRows: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 512)
})
export type ReRankingOptions = typeof ReRankingOptions.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `ReRankingOptions`). @since 0.1.0 */
export type ReRankingOptionsInput = typeof ReRankingOptions.Encoded

const decodeReRanking = Schema.decodeUnknownResult(ReRankingOptions)

/** Decodes re-ranking options (defaults filled in); throws `InvalidOption`. */
export const reRankingOptions = (input: ReRankingOptionsInput = {}): ReRankingOptions =>
  decodeOptions(decodeReRanking, "re-ranking options", input)

/**
 * Where re-ranking reads squared distances among the N = numQueries + numGallery items (queries first).
 * @category models
 */
export interface SquaredDistanceSource {
  readonly numQueries: number
  readonly numGallery: number
  /** Squared distances of rows `[start, end)` to all N items, row-major `(end - start) x N`. */
  readonly rows: (start: number, end: number) => Float32Array
  /** One squared distance. */
  readonly pair: (i: number, j: number) => number
}

/** numpy's `int(np.around(x))` (round half to even). */
export const roundHalfEven = (x: number): number => {
  const f = Math.floor(x)
  const diff = x - f
  if (diff === 0.5) return f % 2 === 0 ? f : f + 1
  return Math.round(x)
}

const fr = Math.fround

interface SparseRow {
  readonly index: Int32Array
  readonly value: Float32Array
}

/**
 * The first `k` indices of the stable argsort of `values` (ties toward the lower index), by insertion into a
 * sorted buffer (values compared as float32). @category internals
 */
export const topK = (values: ArrayLike<number>, k: number, out: Int32Array, outValues: Float32Array): void => {
  const n = values.length
  const K = Math.min(k, n)
  let size = 0
  for (let j = 0; j < n; j++) {
    const v = fr(values[j]!) // compare at the precision of the buffer
    if (size === K && !(v < outValues[K - 1]!)) continue
    let p = size < K ? size++ : K - 1
    while (p > 0 && outValues[p - 1]! > v) {
      outValues[p] = outValues[p - 1]!
      out[p] = out[p - 1]!
      p--
    }
    outValues[p] = v
    out[p] = j
  }
}

/**
 * numpy's float32 `np.sum` of `values[start, start + n)`: pairwise summation with 8 accumulators in blocks of at
 * most 128 (numpy's `pairwise_sum`), every addition rounded to float32. `re_ranking.py` normalises its weights with
 * it; a sequential sum differs in the last bit for sets of 8 or more. @category internals
 */
export const numpySum32 = (values: ArrayLike<number>, start = 0, n = values.length - start): number => {
  if (n < 8) {
    let res = 0
    for (let i = 0; i < n; i++) res = fr(res + values[start + i]!)
    return res
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0]
    for (let j = 0; j < 8; j++) r[j] = fr(values[start + j]!)
    let i = 8
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = fr(r[j]! + values[start + i + j]!)
    let res = fr(fr(fr(r[0]! + r[1]!) + fr(r[2]! + r[3]!)) + fr(fr(r[4]! + r[5]!) + fr(r[6]! + r[7]!)))
    for (; i < n; i++) res = fr(res + values[start + i]!)
    return res
  }
  let n2 = Math.floor(n / 2)
  n2 -= n2 % 8
  return fr(numpySum32(values, start, n2) + numpySum32(values, start + n2, n - n2))
}

const kReciprocal = (rank: Int32Array, K: number, i: number, k: number, out: Array<number>): void => {
  out.length = 0
  const base = i * K
  for (let a = 0; a <= k; a++) {
    const f = rank[base + a]!
    const fb = f * K
    for (let b = 0; b <= k; b++) {
      if (rank[fb + b] === i) {
        out.push(f)
        break
      }
    }
  }
}

/**
 * k-reciprocal re-ranking from a {@link SquaredDistanceSource}; returns the `numQueries x numGallery` re-ranked
 * distances (row-major float32). See the module doc for every convention.
 * @category re-ranking
 */
export const kReciprocalReRanking = (
  source: SquaredDistanceSource,
  optionsInput: ReRankingOptionsInput = {}
): Float32Array => {
  const { k1, k2, lambda, blockRows } = reRankingOptions(optionsInput)
  const Q = source.numQueries
  const N = Q + source.numGallery
  const half = roundHalfEven(k1 / 2)
  const K = Math.min(N, Math.max(k1 + 1, k2, half + 1))
  const kk1 = Math.min(k1, K - 1)
  const kHalf = Math.min(half, K - 1)
  const kk2 = Math.min(k2, K)
  const rank = new Int32Array(N * K)
  const rowMax = new Float32Array(N)
  const queryRows = new Float32Array(Q * source.numGallery)
  const topValues = new Float32Array(K)
  const topIndex = new Int32Array(K)
  const normalised = new Float32Array(N)
  // pass A: normalised rows, top-K neighbour lists, query rows kept for the final mix
  for (let start = 0; start < N; start += blockRows) {
    const end = Math.min(N, start + blockRows)
    const block = source.rows(start, end)
    for (let r = 0; r < end - start; r++) {
      const i = start + r
      const row = block.subarray(r * N, (r + 1) * N)
      let max = 0
      for (let j = 0; j < N; j++) if (row[j]! > max) max = row[j]!
      // a row of zeros (every item coincides with item i) would give 0 / 0 = NaN in the original: it stays 0
      if (max === 0) max = 1
      rowMax[i] = max
      for (let j = 0; j < N; j++) normalised[j] = fr(row[j]! / max)
      topK(normalised, K, topIndex, topValues)
      rank.set(topIndex, i * K)
      if (i < Q) queryRows.set(normalised.subarray(Q), i * source.numGallery)
    }
  }
  const dist = (i: number, j: number) => fr(fr(source.pair(i, j)) / rowMax[i]!)
  // V: k-reciprocal sets, expansion, Gaussian weights
  const V: Array<SparseRow> = new Array(N)
  const recip: Array<number> = []
  const candRecip: Array<number> = []
  const mark = new Int32Array(N).fill(-1)
  const inExpansion = new Int32Array(N).fill(-1)
  for (let i = 0; i < N; i++) {
    kReciprocal(rank, K, i, kk1, recip)
    for (const r of recip) mark[r] = i
    const expansion: Array<number> = []
    const add = (x: number) => {
      if (inExpansion[x] !== i) {
        inExpansion[x] = i
        expansion.push(x)
      }
    }
    for (const r of recip) add(r)
    for (const c of recip) {
      kReciprocal(rank, K, c, kHalf, candRecip)
      let common = 0
      for (const x of candRecip) if (mark[x] === i) common++
      if (common > (2 / 3) * candRecip.length) for (const x of candRecip) add(x)
    }
    expansion.sort((a, b) => a - b)
    const value = new Float32Array(expansion.length)
    for (let e = 0; e < expansion.length; e++) value[e] = fr(Math.exp(-dist(i, expansion[e]!)))
    const sum = numpySum32(value)
    for (let e = 0; e < expansion.length; e++) value[e] = fr(value[e]! / sum)
    V[i] = { index: Int32Array.from(expansion), value }
  }
  // local query expansion
  let W = V
  if (k2 !== 1) {
    W = new Array(N)
    const acc = new Float32Array(N)
    const touched = new Int32Array(N).fill(-1)
    const list: Array<number> = []
    for (let i = 0; i < N; i++) {
      list.length = 0
      for (let a = 0; a < kk2; a++) {
        const row = V[rank[i * K + a]!]!
        for (let e = 0; e < row.index.length; e++) {
          const j = row.index[e]!
          if (touched[j] !== i) {
            touched[j] = i
            acc[j] = 0
            list.push(j)
          }
          acc[j] = fr(acc[j]! + row.value[e]!)
        }
      }
      list.sort((a, b) => a - b)
      const value = new Float32Array(list.length)
      for (let e = 0; e < list.length; e++) value[e] = fr(acc[list[e]!]! / kk2)
      W[i] = { index: Int32Array.from(list), value }
    }
  }
  // inverted index (columns of W), gallery rows only (only gallery columns of the Jaccard distance are used)
  const counts = new Int32Array(N + 1)
  for (let g = Q; g < N; g++) for (const j of W[g]!.index) counts[j + 1]!++
  for (let j = 0; j < N; j++) counts[j + 1]! += counts[j]!
  const invRow = new Int32Array(counts[N]!)
  const invValue = new Float32Array(counts[N]!)
  const fill = counts.slice(0, N)
  for (let g = Q; g < N; g++) {
    const row = W[g]!
    for (let e = 0; e < row.index.length; e++) {
      const j = row.index[e]!
      const p = fill[j]!++
      invRow[p] = g
      invValue[p] = row.value[e]!
    }
  }
  // Jaccard distances and the final mix
  const G = source.numGallery
  const out = new Float32Array(Q * G)
  const tempMin = new Float32Array(G)
  const oneMinusLambda = fr(1 - lambda)
  const lambda32 = fr(lambda)
  for (let i = 0; i < Q; i++) {
    tempMin.fill(0)
    const row = W[i]!
    for (let e = 0; e < row.index.length; e++) {
      const j = row.index[e]!
      const vij = row.value[e]!
      for (let p = counts[j]!; p < counts[j + 1]!; p++) {
        const g = invRow[p]! - Q
        const v = invValue[p]!
        tempMin[g] = fr(tempMin[g]! + (vij < v ? vij : v))
      }
    }
    const base = i * G
    for (let g = 0; g < G; g++) {
      const m = tempMin[g]!
      const jaccard = fr(1 - fr(m / fr(2 - m)))
      out[base + g] = fr(fr(jaccard * oneMinusLambda) + fr(queryRows[base + g]! * lambda32))
    }
  }
  return out
}

/**
 * Re-ranking from features: squared Euclidean distances among `[query; gallery]`, computed block by block with
 * tfjs matrix products on the active backend (`blockRows x N` float32 at a time). The few distances needed outside
 * the neighbour lists (for the weights of the expanded sets) are recomputed from the features in float64, so they
 * can differ from the matMul rows in the last float32 bit; the diagonal is set to exactly 0, as in the original.
 * @category re-ranking
 */
export const reRankFeatures = (
  queryInput: FeaturesInput,
  galleryInput: FeaturesInput,
  optionsInput: ReRankingOptionsInput = {}
): Float32Array => {
  const options = reRankingOptions(optionsInput)
  const q = toFeatureMatrix(queryInput, "query features")
  const g = toFeatureMatrix(galleryInput, "gallery features")
  checkNonEmpty("the gallery", g.rows)
  checkNonEmpty("the query set", q.rows)
  checkLength("gallery feature dimension", q.dim, g.dim)
  const dim = q.dim
  const N = q.rows + g.rows
  const all = new Float32Array(N * dim)
  all.set(q.data, 0)
  all.set(g.data, q.data.length)
  const norms = new Float32Array(N)
  for (let i = 0; i < N; i++) {
    let s = 0
    for (let k = 0; k < dim; k++) s += all[i * dim + k]! ** 2
    norms[i] = s
  }
  const allT = tf.tidy(() => tf.transpose(tf.tensor2d(all, [N, dim])))
  const normRow = tf.tensor2d(norms, [1, N])
  const source: SquaredDistanceSource = {
    numQueries: q.rows,
    numGallery: g.rows,
    rows: (start, end) => {
      const t = tf.tidy(() => {
        const block = tf.tensor2d(all.subarray(start * dim, end * dim), [end - start, dim])
        const col = tf.tensor2d(norms.subarray(start, end), [end - start, 1])
        return tf.relu(tf.add(tf.add(col, normRow), tf.mul(tf.matMul(block, allT), -2)))
      })
      const data = t.dataSync() as Float32Array
      t.dispose()
      // the diagonal is exactly 0, as in the original
      for (let i = start; i < end; i++) data[(i - start) * N + i] = 0
      return data
    },
    pair: (i, j) => {
      if (i === j) return 0
      let dot = 0
      for (let k = 0; k < dim; k++) dot += all[i * dim + k]! * all[j * dim + k]!
      return Math.max(0, norms[i]! + norms[j]! - 2 * dot)
    }
  }
  try {
    return kReciprocalReRanking(source, options)
  } finally {
    allT.dispose()
    normRow.dispose()
  }
}

/**
 * Re-ranking from the three distance matrices of the original API (`q_g_dist`, `q_q_dist`, `g_g_dist`,
 * row-major float32), squared inside as the original does. Needs the dense `g x g` matrix: for large galleries
 * use {@link reRankFeatures}.
 * @category re-ranking
 */
export const reRankDistances = (
  queryGallery: Float32Array,
  queryQuery: Float32Array,
  galleryGallery: Float32Array,
  numQueries: number,
  numGallery: number,
  optionsInput: ReRankingOptionsInput = {}
): Float32Array => {
  checkLength("q_g_dist (queries x gallery)", numQueries * numGallery, queryGallery.length)
  checkLength("q_q_dist (queries x queries)", numQueries * numQueries, queryQuery.length)
  checkLength("g_g_dist (gallery x gallery)", numGallery * numGallery, galleryGallery.length)
  checkNonEmpty("the gallery", numGallery)
  checkNonEmpty("the query set", numQueries)
  for (const [what, m] of [
    ["q_g_dist", queryGallery],
    ["q_q_dist", queryQuery],
    ["g_g_dist", galleryGallery]
  ] as const) {
    const bad = countNonFinite(m)
    if (bad > 0) throw new NonFiniteTensor({ what, count: bad })
  }
  const Q = numQueries
  const G = numGallery
  const N = Q + G
  const raw = (i: number, j: number): number => {
    if (i < Q) return j < Q ? queryQuery[i * Q + j]! : queryGallery[i * G + (j - Q)]!
    return j < Q ? queryGallery[j * G + (i - Q)]! : galleryGallery[(i - Q) * G + (j - Q)]!
  }
  const pair = (i: number, j: number) => {
    const d = raw(i, j)
    return fr(d * d)
  }
  return kReciprocalReRanking(
    {
      numQueries: Q,
      numGallery: G,
      rows: (start, end) => {
        const out = new Float32Array((end - start) * N)
        for (let i = start; i < end; i++) for (let j = 0; j < N; j++) out[(i - start) * N + j] = pair(i, j)
        return out
      },
      pair
    },
    optionsInput
  )
}

/** {@link reRankFeatures} as an Effect with typed failures. @category re-ranking */
export const reRankFeaturesEffect = (
  query: FeaturesInput,
  gallery: FeaturesInput,
  options: ReRankingOptionsInput = {}
): Effect.Effect<Float32Array, EvalFailure> => attempt(() => reRankFeatures(query, gallery, options))

export type { FeatureMatrix }
