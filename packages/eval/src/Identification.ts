/**
 * 1:N identification (the seed's "1:N identification"): each probe is compared with a gallery of enrolled
 * items and the gallery's top-k are returned; with probe identities, the closed-set identification rate at rank k
 * (the fraction of probes whose identity is among the top-k's identities, CMC without the ReID junk rules),
 * and, with a distance threshold, the open-set detection-and-identification rate DIR(k) (the probe's identity is
 * among the top-k **and** the match is within the threshold) and the false-alarm rate of probes whose identity is
 * not enrolled (any gallery item within the threshold), as in the open-set protocol of face identification.
 * @since 0.1.0
 */
import { LengthMismatch } from "./errors.ts"
import { toInt32 } from "./Features.ts"

/** One probe's top-k. @since 0.1.0 */
export interface Candidates {
  readonly indices: ReadonlyArray<number>
  readonly distances: ReadonlyArray<number>
}

/** The k nearest gallery items of each row of a `[Q x G]` distance matrix (ties to the lower index). @category identification @since 0.1.0 */
export const topK = (distances: ArrayLike<number>, queries: number, gallery: number, k: number): Array<Candidates> => {
  if (distances.length !== queries * gallery)
    throw new LengthMismatch({
      what: "distance matrix (queries x gallery)",
      expected: queries * gallery,
      actual: distances.length
    })
  const kk = Math.min(k, gallery)
  return Array.from({ length: queries }, (_, q) => {
    const order = Array.from({ length: gallery }, (_, j) => j)
    order.sort((a, b) => distances[q * gallery + a]! - distances[q * gallery + b]! || a - b)
    const indices = order.slice(0, kk)
    return { indices, distances: indices.map((j) => distances[q * gallery + j]!) }
  })
}

/** Identification rates. @since 0.1.0 */
export interface IdentificationRates {
  /** `rates[k-1]`: enrolled probes whose identity is among the top-k's (closed set; open set: within the threshold too). */
  readonly rates: ReadonlyArray<number>
  /** Probes whose identity is in the gallery. */
  readonly enrolled: number
  /** Probes whose identity is not in the gallery, and the fraction of them with a gallery item within the threshold. */
  readonly unenrolled: number
  readonly falseAlarmRate?: number
}

/**
 * Rank-1..k identification rates of `candidates` for the probe and gallery identities; with `threshold`, only
 * matches at distance <= threshold count (DIR) and unenrolled probes give the false alarm rate.
 * @category identification
 * @since 0.1.0
 */
export const identificationRates = (
  candidates: ReadonlyArray<Candidates>,
  probeIds: ArrayLike<number>,
  galleryIds: ArrayLike<number>,
  threshold?: number
): IdentificationRates => {
  const p = toInt32(probeIds, "probe identities")
  const g = toInt32(galleryIds, "gallery identities")
  if (p.length !== candidates.length)
    throw new LengthMismatch({ what: "probe identities", expected: candidates.length, actual: p.length })
  const enrolledSet = new Set(g)
  const k = candidates.reduce((m, c) => Math.max(m, c.indices.length), 0)
  const hits = new Array<number>(k).fill(0)
  let [enrolled, unenrolled, alarms] = [0, 0, 0]
  candidates.forEach((c, q) => {
    const within = (t: number) => threshold === undefined || c.distances[t]! <= threshold
    if (!enrolledSet.has(p[q]!)) {
      unenrolled++
      if (threshold !== undefined && c.distances.length > 0 && within(0)) alarms++
      return
    }
    enrolled++
    const first = c.indices.findIndex((j, t) => g[j] === p[q] && within(t))
    if (first >= 0) for (let r = first; r < k; r++) hits[r]!++
  })
  return {
    rates: hits.map((h) => (enrolled === 0 ? 0 : h / enrolled)),
    enrolled,
    unenrolled,
    ...(threshold === undefined ? {} : { falseAlarmRate: unenrolled === 0 ? 0 : alarms / unenrolled })
  }
}
