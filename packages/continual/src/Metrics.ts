/**
 * The retrieval metrics of one model on one test set, as the ledger stores them. Values are fractions in
 * [0, 1] (tables print percentages).
 * @since 0.1.0
 */

/** mAP, mINP and the CMC curve of a model on a test set. */
export interface Metrics {
  /** Mean average precision over queries. */
  readonly mAP: number
  /** Mean inverse negative penalty (Ye et al. 2021): mean over queries of |positives| / rank of the hardest positive. */
  readonly mINP: number
  /** CMC: `cmc[k - 1]` is Rank-k accuracy. */
  readonly cmc: ReadonlyArray<number>
}

/** The metric names a ledger can read: `mAP`, `mINP`, `rank1`, `rank5`, ... */
export type MetricName = "mAP" | "mINP" | `rank${number}`

/** Reads one metric; a rank beyond the stored CMC is the last stored value (CMC is non-decreasing). */
export const value = (metrics: Metrics, name: MetricName): number => {
  if (name === "mAP") return metrics.mAP
  if (name === "mINP") return metrics.mINP
  const k = Number(name.slice(4))
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`unknown metric ${name}`)
  if (metrics.cmc.length === 0) return Number.NaN
  return metrics.cmc[Math.min(k, metrics.cmc.length) - 1]!
}

/** A metric's display name: `mAP`, `mINP`, `Rank-1`. */
export const displayName = (name: MetricName): string => (name.startsWith("rank") ? `Rank-${name.slice(4)}` : name)
