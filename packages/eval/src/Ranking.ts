/**
 * Ranking metrics of 1:N identification (ReID retrieval): CMC at rank k, mAP and mINP, under the Market-1501
 * protocol with every choice explicit.
 *
 * For a query with identity `q` and camera `c`, each gallery item is exactly one of:
 * - **junk** (removed from the ranking, neither helps nor hurts): its identity is a junk identity (Market's `-1`,
 *   option `junkIdentities`), or it has the query's identity and the query's camera (option `sameCameraJunk`);
 * - **positive**: same identity, not junk, and the identity is not a distractor identity;
 * - **negative**: everything else; distractors (identity `0`, option `distractorIdentities`) are always negatives.
 *
 * Gallery items are ranked by increasing distance; **ties are broken stably toward the lower gallery index**.
 * With `r_1 < ... < r_P` the 0-based ranks of the P positives among the non-junk items:
 * - CMC: `cmc[k-1] = 1` if `r_1 < k` (rank-k accuracy; Market / torchreid convention).
 * - AP, non-interpolated (default): `AP = (1/P) sum_j j / (r_j + 1)` (area under the step precision-recall curve).
 * - AP, trapezoid (option; the official Market-1501 `compute_AP.m`): `AP = (1/P) sum_j (p_{j-1} + p_j) / 2` with
 *   `p_j = j / (r_j + 1)` and `p_{j-1} = (j - 1) / r_j`, or 1 when `r_j = 0`.
 * - INP (Ye et al., "Deep Learning for Person Re-identification: A Survey and Outlook", TPAMI 2021):
 *   `INP = P / (r_P + 1)`, the precision at the hardest positive; mINP is its mean.
 *
 * A query with no positive has no defined AP: by default it is skipped and counted (`queriesWithoutMatch: "skip"`);
 * `"zero"` counts it as AP = INP = CMC = 0 (as some lifelong ReID code does).
 *
 * The computation never sorts a whole gallery: the positives of a query are sorted (there are few), then one pass
 * over the gallery counts, by binary search, how many negatives precede each positive.
 * @since 0.1.0
 */
import { NonFiniteTensor } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema } from "effect"
import { type DistanceMetric, distanceMetrics, pairwiseDistances } from "./Distances.ts"
import { NoValidQuery } from "./errors.ts"
import { countNonFinite, type FeaturesInput, toFeatureMatrix, toInt32 } from "./Features.ts"
import { attempt, checkLength, checkNonEmpty, decodeOptions, type EvalFailure } from "./internal.ts"

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(value)))

/**
 * Options of the ranking protocol (every field optional; defaults are the Market-1501 protocol).
 * @category options
 */
export const RankingOptions = Schema.Struct({
  /** Length of the returned CMC curve (`cmc[k-1]` is rank-k). Default 50. */
  maxRank: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 50),
  /** Same identity and same camera as the query is junk. Default true (Market-1501, DukeMTMC, MSMT17, MARS). */
  sameCameraJunk: withDefault(Schema.Boolean, true),
  /** Gallery identities that are always junk. Default `[-1]` (Market-1501's junk images). */
  junkIdentities: withDefault(Schema.Array(Schema.Int), [-1]),
  /** Gallery identities that are always negatives, never matches. Default `[0]` (Market-1501's distractors). */
  distractorIdentities: withDefault(Schema.Array(Schema.Int), [0]),
  /** Queries with no valid match: `"skip"` (default; excluded and counted) or `"zero"` (scored 0). */
  queriesWithoutMatch: withDefault(Schema.Literals(["skip", "zero"]), "skip"),
  /** `"nonInterpolated"` (default) or `"trapezoid"` (official Market-1501 code). */
  averagePrecision: withDefault(Schema.Literals(["nonInterpolated", "trapezoid"]), "nonInterpolated"),
  /** Distance used when features (not distances) are given. Default `"euclidean"`. */
  metric: withDefault(Schema.Literals(distanceMetrics as ReadonlyArray<DistanceMetric>), "euclidean")
})

/** Decoded ranking options (defaults filled in). */
export type RankingOptions = typeof RankingOptions.Type
/** Ranking options as a user writes them (every key optional). */
export type RankingOptionsInput = typeof RankingOptions.Encoded

const decodeRanking = Schema.decodeUnknownResult(RankingOptions)

/** Decodes ranking options, filling in defaults; throws `InvalidOption` on a bad value. */
export const rankingOptions = (input: RankingOptionsInput = {}): RankingOptions =>
  decodeOptions(decodeRanking, "ranking options", input)

/** Identities and cameras of a set of images (or tracklets). */
export interface Labels {
  readonly ids: ArrayLike<number>
  readonly cams: ArrayLike<number>
}

/** Per-query results; `NaN` marks a query that was skipped (no valid match, `queriesWithoutMatch: "skip"`). */
export interface PerQuery {
  readonly averagePrecision: Float64Array
  readonly inversePrecision: Float64Array
  /** 0-based rank of the first match among non-junk items, -1 when there is none. */
  readonly firstMatchRank: Int32Array
  readonly positives: Int32Array
  readonly junk: Int32Array
}

/** The result of a ranking evaluation. */
export interface RankingResult {
  /** `cmc[k-1]` = rank-k accuracy, for k = 1..maxRank. */
  readonly cmc: ReadonlyArray<number>
  readonly mAP: number
  readonly mINP: number
  readonly rank1: number
  readonly rank5: number
  readonly rank10: number
  readonly numQueries: number
  /** Queries with at least one valid match. */
  readonly numValidQueries: number
  /** Indices of the queries without a valid match (skipped, or scored 0 with `queriesWithoutMatch: "zero"`). */
  readonly skippedQueries: ReadonlyArray<number>
  readonly perQuery: PerQuery
  readonly options: RankingOptions
}

/** Gallery-side data prepared once for many queries. */
export interface PreparedGallery {
  readonly ids: Int32Array
  readonly cams: Int32Array
  /** 1 for items whose identity is a junk identity. */
  readonly junkAlways: Uint8Array
  /** identity -> gallery indices (ascending). */
  readonly byIdentity: Map<number, Array<number>>
  readonly distractors: ReadonlySet<number>
  readonly junkIdentities: ReadonlySet<number>
}

/** Prepares gallery labels for {@link positiveRanks}. */
export const prepareGallery = (gallery: Labels, options: RankingOptions): PreparedGallery => {
  const ids = toInt32(gallery.ids, "gallery identities")
  const cams = toInt32(gallery.cams, "gallery cameras")
  checkLength("gallery cameras", ids.length, cams.length)
  const junkIdentities = new Set(options.junkIdentities)
  const junkAlways = new Uint8Array(ids.length)
  const byIdentity = new Map<number, Array<number>>()
  for (let j = 0; j < ids.length; j++) {
    const id = ids[j]!
    if (junkIdentities.has(id)) junkAlways[j] = 1
    let list = byIdentity.get(id)
    if (list === undefined) byIdentity.set(id, (list = []))
    list.push(j)
  }
  return { ids, cams, junkAlways, byIdentity, distractors: new Set(options.distractorIdentities), junkIdentities }
}

/** Working memory of {@link positiveRanks}, reused across queries. */
export interface RankScratch {
  posIndex: Int32Array
  /** Float64, so that float64 distances (plain arrays, `Float64Array`) are compared at their own precision. */
  posDist: Float64Array
  hist: Int32Array
  /** Output: 0-based ranks of the positives among non-junk items, ascending. */
  ranks: Int32Array
}

/** Fresh scratch space. */
export const makeScratch = (): RankScratch => ({
  posIndex: new Int32Array(64),
  posDist: new Float64Array(64),
  hist: new Int32Array(65),
  ranks: new Int32Array(64)
})

const grow = (s: RankScratch, n: number) => {
  if (s.posIndex.length >= n) return
  const size = Math.max(n, s.posIndex.length * 2)
  s.posIndex = new Int32Array(size)
  s.posDist = new Float64Array(size)
  s.hist = new Int32Array(size + 1)
  s.ranks = new Int32Array(size)
}

/**
 * Ranks of the positives of one query among the non-junk gallery items (ties toward the lower gallery index),
 * written to `scratch.ranks[0..P)`; returns `{ positives: P, junk }`.
 * @category internals
 */
export const positiveRanks = (
  row: ArrayLike<number>,
  queryId: number,
  queryCam: number,
  gallery: PreparedGallery,
  options: RankingOptions,
  scratch: RankScratch
): { readonly positives: number; readonly junk: number } => {
  const { ids, cams, junkAlways } = gallery
  const sameIdentity = gallery.byIdentity.get(queryId) ?? []
  const queryIsDistractor = gallery.distractors.has(queryId)
  const queryIsJunkIdentity = gallery.junkIdentities.has(queryId)
  grow(scratch, sameIdentity.length)
  const { posIndex, posDist } = scratch
  let P = 0
  let junk = 0
  // pass 1: same-identity items are positives or junk (unless the identity is a distractor: then negatives)
  if (!queryIsDistractor && !queryIsJunkIdentity) {
    for (const j of sameIdentity) {
      if (options.sameCameraJunk && cams[j] === queryCam) {
        junk++
        continue
      }
      // insertion by (distance, index): indices arrive ascending, so equal distances keep index order
      const d = row[j]!
      let k = P++
      while (k > 0 && posDist[k - 1]! > d) {
        posDist[k] = posDist[k - 1]!
        posIndex[k] = posIndex[k - 1]!
        k--
      }
      posDist[k] = d
      posIndex[k] = j
    }
  }
  if (P === 0) {
    for (let j = 0; j < ids.length; j++) if (junkAlways[j] === 1) junk++
    return { positives: 0, junk }
  }
  const hist = scratch.hist
  hist.fill(0, 0, P + 1)
  const lastD = posDist[P - 1]!
  const lastI = posIndex[P - 1]!
  const skipSame = !queryIsDistractor && !queryIsJunkIdentity
  // pass 2: every negative increments the first positive it precedes
  for (let j = 0; j < ids.length; j++) {
    if (junkAlways[j] === 1) {
      junk++
      continue
    }
    if (skipSame && ids[j] === queryId) continue
    const d = row[j]!
    if (d > lastD || (d === lastD && j > lastI)) continue
    let lo = 0
    let hi = P - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const md = posDist[mid]!
      if (d < md || (d === md && j < posIndex[mid]!)) hi = mid
      else lo = mid + 1
    }
    hist[lo]!++
  }
  const ranks = scratch.ranks
  let before = 0
  for (let m = 0; m < P; m++) {
    before += hist[m]!
    ranks[m] = m + before
  }
  return { positives: P, junk }
}

/** AP of one query from its positives' 0-based ranks (see the module doc for both variants). */
export const averagePrecisionFromRanks = (
  ranks: ArrayLike<number>,
  P: number,
  variant: RankingOptions["averagePrecision"]
): number => {
  let sum = 0
  for (let m = 0; m < P; m++) {
    const r = ranks[m]!
    const precision = (m + 1) / (r + 1)
    if (variant === "nonInterpolated") sum += precision
    else sum += ((r === 0 ? 1 : m / r) + precision) / 2
  }
  return sum / P
}

/**
 * CMC, mAP and mINP from a `[queries x gallery]` row-major distance matrix (smaller = closer).
 * Throws `LengthMismatch`, `EmptySet` (no gallery or no query), `NonFiniteTensor` (NaN distances), `InvalidOption`
 * and {@link NoValidQuery}.
 * @category metrics
 */
export const rankingFromDistances = (
  distances: ArrayLike<number>,
  query: Labels,
  gallery: Labels,
  optionsInput: RankingOptionsInput | RankingOptions = {}
): RankingResult => {
  const options = rankingOptions(optionsInput as RankingOptionsInput)
  const qIds = toInt32(query.ids, "query identities")
  const qCams = toInt32(query.cams, "query cameras")
  checkLength("query cameras", qIds.length, qCams.length)
  const G = gallery.ids.length
  checkNonEmpty("the gallery", G)
  checkNonEmpty("the query set", qIds.length)
  checkLength("distance matrix (queries x gallery)", qIds.length * G, distances.length)
  const bad = countNonFinite(distances)
  if (bad > 0) throw new NonFiniteTensor({ what: "distance matrix", count: bad })
  const prepared = prepareGallery(gallery, options)
  const Q = qIds.length
  const scratch = makeScratch()
  const ap = new Float64Array(Q)
  const inp = new Float64Array(Q)
  const first = new Int32Array(Q)
  const positives = new Int32Array(Q)
  const junk = new Int32Array(Q)
  const firstHist = new Float64Array(options.maxRank)
  const skipped: Array<number> = []
  let apSum = 0
  let inpSum = 0
  const isTyped = ArrayBuffer.isView(distances)
  for (let i = 0; i < Q; i++) {
    const row = isTyped
      ? (distances as unknown as Float32Array).subarray(i * G, (i + 1) * G)
      : Array.prototype.slice.call(distances, i * G, (i + 1) * G)
    const r = positiveRanks(row, qIds[i]!, qCams[i]!, prepared, options, scratch)
    positives[i] = r.positives
    junk[i] = r.junk
    if (r.positives === 0) {
      skipped.push(i)
      first[i] = -1
      const v = options.queriesWithoutMatch === "zero" ? 0 : Number.NaN
      ap[i] = v
      inp[i] = v
      continue
    }
    const ranks = scratch.ranks
    first[i] = ranks[0]!
    if (ranks[0]! < options.maxRank) firstHist[ranks[0]!]!++
    ap[i] = averagePrecisionFromRanks(ranks, r.positives, options.averagePrecision)
    inp[i] = r.positives / (ranks[r.positives - 1]! + 1)
    apSum += ap[i]!
    inpSum += inp[i]!
  }
  const valid = Q - skipped.length
  if (valid === 0) throw new NoValidQuery({ queries: Q })
  const denominator = options.queriesWithoutMatch === "zero" ? Q : valid
  const cmc: Array<number> = []
  let acc = 0
  for (let k = 0; k < options.maxRank; k++) {
    acc += firstHist[k]!
    cmc.push(acc / denominator)
  }
  // rank-1/5/10 are computed from the first-match ranks, whatever maxRank is
  const at = (k: number) => {
    let hits = 0
    for (let i = 0; i < Q; i++) if (first[i]! >= 0 && first[i]! < k) hits++
    return hits / denominator
  }
  return {
    cmc,
    mAP: apSum / denominator,
    mINP: inpSum / denominator,
    rank1: at(1),
    rank5: at(5),
    rank10: at(10),
    numQueries: Q,
    numValidQueries: valid,
    skippedQueries: skipped,
    perQuery: { averagePrecision: ap, inversePrecision: inp, firstMatchRank: first, positives, junk },
    options
  }
}

/** Identities or cameras: plain numbers, a typed array or an int32 tensor (read back synchronously). */
export type LabelsInput = ArrayLike<number> | tf.Tensor

/** One side of an evaluation: features with their identities and cameras. */
export interface LabelledFeatures {
  readonly features: FeaturesInput
  readonly ids: LabelsInput
  readonly cams: LabelsInput
}

const readLabels = (x: LabelsInput, what: string): Int32Array =>
  toInt32(
    typeof (x as tf.Tensor).dataSync === "function" ? (x as tf.Tensor).dataSync() : (x as ArrayLike<number>),
    what
  )

/**
 * Computes distances (tfjs matrix products on the active backend, option `metric`) and evaluates the ranking
 * (see {@link rankingFromDistances}). Synchronous and throwing typed errors; {@link evaluateRankingEffect} is the
 * Effect form.
 *
 * ```ts
 * const r = evaluateRanking({ query: { features: q, ids: qIds, cams: qCams }, gallery: { features: g, ids, cams } })
 * r.rank1, r.mAP, r.mINP
 * ```
 * @category metrics
 */
export const evaluateRanking = (
  input: { readonly query: LabelledFeatures; readonly gallery: LabelledFeatures },
  optionsInput: RankingOptionsInput = {}
): RankingResult => {
  const options = rankingOptions(optionsInput)
  const q = toFeatureMatrix(input.query.features, "query features")
  const g = toFeatureMatrix(input.gallery.features, "gallery features")
  const query = {
    ids: readLabels(input.query.ids, "query identities"),
    cams: readLabels(input.query.cams, "query cameras")
  }
  const gallery = {
    ids: readLabels(input.gallery.ids, "gallery identities"),
    cams: readLabels(input.gallery.cams, "gallery cameras")
  }
  checkLength("query identities (one per query feature row)", q.rows, query.ids.length)
  checkLength("query cameras (one per query feature row)", q.rows, query.cams.length)
  checkLength("gallery identities (one per gallery feature row)", g.rows, gallery.ids.length)
  checkLength("gallery cameras (one per gallery feature row)", g.rows, gallery.cams.length)
  checkNonEmpty("the gallery", g.rows)
  checkNonEmpty("the query set", q.rows)
  const distances = pairwiseDistances(q, g, { metric: options.metric })
  return rankingFromDistances(distances, query, gallery, options)
}

/** {@link evaluateRanking} as an Effect with typed failures. @category metrics */
export const evaluateRankingEffect = (
  input: { readonly query: LabelledFeatures; readonly gallery: LabelledFeatures },
  options: RankingOptionsInput = {}
): Effect.Effect<RankingResult, EvalFailure> => attempt(() => evaluateRanking(input, options))

/** {@link rankingFromDistances} as an Effect with typed failures. @category metrics */
export const rankingFromDistancesEffect = (
  distances: ArrayLike<number>,
  query: Labels,
  gallery: Labels,
  options: RankingOptionsInput = {}
): Effect.Effect<RankingResult, EvalFailure> => attempt(() => rankingFromDistances(distances, query, gallery, options))
