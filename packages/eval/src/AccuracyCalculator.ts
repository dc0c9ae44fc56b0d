/**
 * The retrieval and clustering measures of pytorch-metric-learning's `AccuracyCalculator` (PML 2.8.1,
 * `utils/accuracy_calculator.py`), with its conventions, next to CMC / mAP / mINP:
 *
 * - **Same-set evaluation.** Without a reference set the queries are their own references and each query's
 *   own entry is excluded from its neighbours (PML's `ref_includes_query`, whose kNN drops the first hit; here the
 *   query's own index is dropped exactly, whatever the ties).
 * - **k**: the neighbours retrieved per query: `"maxBinCount"` (default here; PML's recommended `"max_bin_count"`:
 *   the largest number of references sharing one query label, minus 1 for same-set evaluation), `"all"` (PML's
 *   constructor default `None`: every reference), or a number.
 * - **R** of a query: its number of relevant references (same label; minus itself for same-set).
 * - **Lone queries** (R = 0) are left out of the kNN measures (PML's `not_lone_query_mask`); with none left the
 *   measures are NaN.
 *
 * | measure | per query (PML's definition) |
 * |---|---|
 * | `precisionAt1` | the nearest neighbour has the query's label |
 * | `rPrecision` | relevant among the first min(R, k) neighbours / min(R, k) |
 * | `mapAtR` | sum over the first min(R, k) neighbours of rel(i) P@i, divided by R (Musgrave et al. 2020, "A Metric Learning Reality Check") |
 * | `meanAveragePrecision` | sum over the first k neighbours of rel(i) P@i, divided by R (with k = all: the usual AP) |
 * | `meanReciprocalRank` | 1 / rank of the first relevant neighbour within k, 0 if none |
 * | `nmi`, `ami` | of k-means clusters of the queries (as many clusters as query labels) against the labels |
 *
 * Each kNN measure is the mean over queries, or with `averageOfAverages` the mean over labels of the per-label
 * means (PML's `avg_of_avgs`). Neighbours are ranked by the chosen distance (PML's default FAISS index is
 * euclidean), ties by reference index. PML runs FAISS k-means (20 iterations, random init); here k-means++ then
 * Lloyd for at most 20 iterations, seeded (`seed`, default 0), so the clustering measures are deterministic.
 * @since 0.2.0
 */
import { InvalidOption, RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"
import { type DistanceMetric, pairwiseDistances } from "./Distances.ts"
import { LengthMismatch } from "./errors.ts"
import { type FeatureMatrix, type FeaturesInput, toFeatureMatrix, toInt32 } from "./Features.ts"
import { adjustedMutualInfo, normalizedMutualInfo } from "./MutualInformation.ts"

/** The measures, by PML's names in camel case. @category models */
export const MeasureName = Schema.Literals([
  "precisionAt1",
  "rPrecision",
  "mapAtR",
  "meanAveragePrecision",
  "meanReciprocalRank",
  "nmi",
  "ami"
])
export type MeasureName = typeof MeasureName.Type

/** Options. @category models */
export interface AccuracyOptions {
  /** Neighbours per query (default `"maxBinCount"`). */
  readonly k?: number | "maxBinCount" | "all"
  /** The measures to compute (default: all). */
  readonly include?: ReadonlyArray<MeasureName>
  /** Mean over labels of per-label means (default false). */
  readonly averageOfAverages?: boolean
  /** Distance of the kNN search (default euclidean). */
  readonly metric?: DistanceMetric
  /** Seed of the k-means of NMI / AMI (default 0). */
  readonly seed?: number
}

/** The inputs: queries and, optionally, a separate reference set. @category models */
export interface AccuracyInput {
  readonly query: FeaturesInput
  readonly queryLabels: ArrayLike<number>
  /** Absent: the queries are the references (same-set evaluation, self excluded). */
  readonly reference?: FeaturesInput
  readonly referenceLabels?: ArrayLike<number>
}

/** The value of each requested measure, by name. */
export type AccuracyResult = Partial<Record<MeasureName, number>>

/** `[Q, k]` neighbour labels, sorted by distance then index, self excluded for same-set evaluation. @category math */
export const knnLabels = (
  query: FeatureMatrix,
  reference: FeatureMatrix,
  refLabels: Int32Array,
  k: number,
  sameSet: boolean,
  metric: DistanceMetric
): Int32Array => {
  const d = pairwiseDistances(query, reference, { metric })
  const out = new Int32Array(query.rows * k)
  const order = new Int32Array(reference.rows)
  for (let i = 0; i < query.rows; i++) {
    for (let j = 0; j < reference.rows; j++) order[j] = j
    const row = d.subarray(i * reference.rows, (i + 1) * reference.rows)
    const sorted = Array.from(order)
      .filter((j) => !(sameSet && j === i))
      .sort((x, y) => row[x]! - row[y]! || x - y)
    for (let t = 0; t < k; t++) out[i * k + t] = refLabels[sorted[t]!]!
  }
  return out
}

/** Seeded k-means (k-means++ initialisation, then Lloyd for at most `iterations` rounds); cluster of each row. @category math */
export const kMeans = (
  m: FeatureMatrix,
  clusters: number,
  options: { readonly seed?: number; readonly iterations?: number } = {}
): Int32Array => {
  const rng = RandomStream.fromSeed(options.seed ?? 0, "kmeans")
  const { rows, dim, data } = m
  const c = Math.max(1, Math.min(clusters, rows))
  const centers = new Float64Array(c * dim)
  const sq = (i: number, k: number) => {
    let s = 0
    for (let t = 0; t < dim; t++) s += (data[i * dim + t]! - centers[k * dim + t]!) ** 2
    return s
  }
  const first = rng.nextInt(rows)
  for (let t = 0; t < dim; t++) centers[t] = data[first * dim + t]!
  const best = new Float64Array(rows).fill(Number.POSITIVE_INFINITY)
  for (let k = 1; k < c; k++) {
    let total = 0
    for (let i = 0; i < rows; i++) {
      best[i] = Math.min(best[i]!, sq(i, k - 1))
      total += best[i]!
    }
    let pick = rows - 1
    let u = rng.nextFloat() * total
    for (let i = 0; i < rows; i++) {
      u -= best[i]!
      if (u < 0) {
        pick = i
        break
      }
    }
    for (let t = 0; t < dim; t++) centers[k * dim + t] = data[pick * dim + t]!
  }
  const assign = new Int32Array(rows).fill(-1)
  for (let iter = 0; iter < (options.iterations ?? 20); iter++) {
    let changed = false
    for (let i = 0; i < rows; i++) {
      let bk = 0
      let bd = Number.POSITIVE_INFINITY
      for (let k = 0; k < c; k++) {
        const dd = sq(i, k)
        if (dd < bd) {
          bd = dd
          bk = k
        }
      }
      if (assign[i] !== bk) changed = true
      assign[i] = bk
    }
    if (!changed) break
    const sums = new Float64Array(c * dim)
    const counts = new Float64Array(c)
    for (let i = 0; i < rows; i++) {
      counts[assign[i]!]!++
      for (let t = 0; t < dim; t++) sums[assign[i]! * dim + t]! += data[i * dim + t]!
    }
    for (let k = 0; k < c; k++)
      if (counts[k]! > 0) for (let t = 0; t < dim; t++) centers[k * dim + t] = sums[k * dim + t]! / counts[k]!
  }
  return assign
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]!
  return s / xs.length
}

/** PML's measures of a query set against a reference set (see the module doc). @category evaluation */
export const accuracy = (input: AccuracyInput, options: AccuracyOptions = {}): AccuracyResult => {
  const query = toFeatureMatrix(input.query, "query")
  const qLabels = toInt32(input.queryLabels, "query labels")
  if (qLabels.length !== query.rows)
    throw new LengthMismatch({ what: "query labels", expected: query.rows, actual: qLabels.length })
  const sameSet = input.reference === undefined
  const reference = sameSet ? query : toFeatureMatrix(input.reference!, "reference")
  const rLabels = sameSet ? qLabels : toInt32(input.referenceLabels ?? [], "reference labels")
  if (rLabels.length !== reference.rows)
    throw new LengthMismatch({ what: "reference labels", expected: reference.rows, actual: rLabels.length })
  const include = new Set(options.include ?? MeasureName.literals)
  const result: Record<string, number> = {}
  const knnMeasures = (
    ["precisionAt1", "rPrecision", "mapAtR", "meanAveragePrecision", "meanReciprocalRank"] as const
  ).filter((m) => include.has(m))
  if (knnMeasures.length > 0) {
    const counts = new Map<number, number>()
    for (const l of rLabels) counts.set(l, (counts.get(l) ?? 0) + 1)
    const self = sameSet ? 1 : 0
    let maxBin = 0
    for (const l of new Set(qLabels)) maxBin = Math.max(maxBin, counts.get(l) ?? 0)
    const available = reference.rows - self
    const kOption = options.k ?? "maxBinCount"
    if (typeof kOption === "number" && !(Number.isInteger(kOption) && kOption > 0)) {
      throw new InvalidOption({
        what: "accuracy: k",
        detail: `${kOption} is not a positive integer, "maxBinCount" or "all"`
      })
    }
    const k = Math.min(available, kOption === "all" ? available : kOption === "maxBinCount" ? maxBin - self : kOption)
    const queries: Array<number> = []
    for (let i = 0; i < query.rows; i++) if ((counts.get(qLabels[i]!) ?? 0) - self > 0) queries.push(i)
    if (queries.length === 0 || k <= 0) {
      for (const m of knnMeasures) result[m] = Number.NaN
    } else {
      const knn = knnLabels(query, reference, rLabels, k, sameSet, options.metric ?? "euclidean")
      const per: Record<string, Float64Array> = Object.fromEntries(
        knnMeasures.map((m) => [m, new Float64Array(queries.length)])
      )
      queries.forEach((i, q) => {
        const y = qLabels[i]!
        const r = (counts.get(y) ?? 0) - self
        const rel = (t: number) => (knn[i * k + t] === y ? 1 : 0)
        let hits = 0
        let apR = 0
        let ap = 0
        let hitsR = 0
        let firstHit = 0
        for (let t = 0; t < k; t++) {
          const h = rel(t)
          hits += h
          if (h === 1) {
            ap += hits / (t + 1)
            if (t < r) apR += hits / (t + 1)
            if (firstHit === 0) firstHit = t + 1
          }
          if (t < r) hitsR += h
        }
        if (per["precisionAt1"]) per["precisionAt1"][q] = rel(0)
        if (per["rPrecision"]) per["rPrecision"][q] = hitsR / Math.min(r, k)
        if (per["mapAtR"]) per["mapAtR"][q] = apR / r
        if (per["meanAveragePrecision"]) per["meanAveragePrecision"][q] = ap / r
        if (per["meanReciprocalRank"]) per["meanReciprocalRank"][q] = firstHit === 0 ? 0 : 1 / firstHit
      })
      for (const m of knnMeasures) {
        const values = per[m]!
        if (options.averageOfAverages === true) {
          const byLabel = new Map<number, Array<number>>()
          queries.forEach((i, q) => {
            byLabel.set(qLabels[i]!, [...(byLabel.get(qLabels[i]!) ?? []), values[q]!])
          })
          result[m] = mean([...byLabel.values()].map(mean))
        } else result[m] = mean(values)
      }
    }
  }
  if (include.has("nmi") || include.has("ami")) {
    const clusters = kMeans(query, new Set(qLabels).size, options.seed === undefined ? {} : { seed: options.seed })
    if (include.has("nmi")) result["nmi"] = normalizedMutualInfo(qLabels, clusters)
    if (include.has("ami")) result["ami"] = adjustedMutualInfo(qLabels, clusters)
  }
  return result
}
