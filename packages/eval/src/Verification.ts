/**
 * Verification (1:1): is a pair the same identity? ROC curve, AUC, EER and TAR at fixed FAR.
 *
 * Scores are similarities (higher = more likely the same identity); pass `scoreType: "distance"` for distances.
 * A pair is accepted when `score >= threshold`. With G genuine and I impostor pairs:
 * - TAR (true accept rate, TPR) = accepted genuine / G; FAR (false accept rate, FPR) = accepted impostor / I.
 * - ROC: one point per distinct score (tied scores move together), from (0, 0) to (1, 1).
 * - AUC: trapezoidal area under the ROC, which equals the Mann-Whitney probability that a genuine pair scores
 *   above an impostor pair, ties counting 1/2.
 * - EER: the rate where FAR = FRR (= 1 - TAR), linearly interpolated between the two ROC points that bracket it.
 * - TAR at FAR x: the largest TAR among ROC points with FAR <= x (no interpolation; conservative). Defaults
 *   x = 1e-4, 1e-3, 1e-2. With fewer than 1/x impostor pairs the value is only as fine as 1/I allows.
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { EmptySet, LengthMismatch } from "./errors.ts"
import { countNonFinite, type FeaturesInput, toFeatureMatrix, toInt32 } from "./Features.ts"
import { type DistanceMetric, pairwiseDistances } from "./Distances.ts"

/** The ROC curve: `far[t]`, `tar[t]` at `thresholds[t]` (decreasing thresholds, increasing rates). */
export interface Roc {
  readonly thresholds: Float64Array
  readonly far: Float64Array
  readonly tar: Float64Array
}

/** Verification metrics. */
export interface VerificationResult {
  readonly roc: Roc
  readonly auc: number
  readonly eer: number
  /** Threshold (in the input score's units) at the EER point (the bracketing point with the smaller gap). */
  readonly eerThreshold: number
  /** `[far, tar]` pairs, one per requested FAR. */
  readonly tarAtFar: ReadonlyArray<{ readonly far: number; readonly tar: number; readonly threshold: number }>
  readonly genuine: number
  readonly impostor: number
}

/** Options of {@link verification}. */
export interface VerificationOptions {
  /** `"similarity"` (default: higher = same) or `"distance"` (lower = same). */
  readonly scoreType?: "similarity" | "distance"
  /** FARs at which to report TAR. Default `[1e-4, 1e-3, 1e-2]`. */
  readonly fars?: ReadonlyArray<number>
}

/**
 * ROC, AUC, EER and TAR at FAR of pair scores with same-identity labels (`true`/1 = genuine).
 * Throws `LengthMismatch`, `NonFiniteTensor`-like `InvalidOption` for NaN scores, and `EmptySet` when there is no
 * genuine or no impostor pair.
 * @category verification
 */
export const verification = (
  scores: ArrayLike<number>,
  same: ArrayLike<boolean | number>,
  options: VerificationOptions = {}
): VerificationResult => {
  if (scores.length !== same.length)
    throw new LengthMismatch({ what: "pair labels", expected: scores.length, actual: same.length })
  if (countNonFinite(scores) > 0)
    throw new InvalidOption({
      what: "verification scores",
      detail: `${countNonFinite(scores)} score(s) are NaN or infinite`
    })
  const sign = options.scoreType === "distance" ? -1 : 1
  const fars = options.fars ?? [1e-4, 1e-3, 1e-2]
  for (const f of fars)
    if (!(f >= 0 && f <= 1)) throw new InvalidOption({ what: "verification fars", detail: `${f} is not in [0, 1]` })
  const n = scores.length
  const order = new Uint32Array(n)
  for (let k = 0; k < n; k++) order[k] = k
  const s = Float64Array.from(scores, (v) => sign * v)
  order.sort((a, b) => s[b]! - s[a]!)
  let G = 0
  for (let k = 0; k < n; k++) if (same[k]) G++
  const I = n - G
  if (G === 0) throw new EmptySet({ what: "the set of genuine (same-identity) pairs" })
  if (I === 0) throw new EmptySet({ what: "the set of impostor (different-identity) pairs" })
  const thresholds: Array<number> = [Number.POSITIVE_INFINITY]
  const far: Array<number> = [0]
  const tar: Array<number> = [0]
  let tp = 0
  let fp = 0
  let auc = 0
  for (let k = 0; k < n; ) {
    const v = s[order[k]!]!
    let dtp = 0
    let dfp = 0
    while (k < n && s[order[k]!] === v) {
      if (same[order[k]!]) dtp++
      else dfp++
      k++
    }
    // trapezoid between the previous and this point (ties give the 1/2 credit)
    auc += (dfp / I) * ((tp + dtp / 2) / G)
    tp += dtp
    fp += dfp
    thresholds.push(sign * v)
    far.push(fp / I)
    tar.push(tp / G)
  }
  // EER: first point where FRR <= FAR, interpolated with the previous one
  let eer = 0
  let eerThreshold = thresholds[thresholds.length - 1]!
  for (let t = 1; t < far.length; t++) {
    const frr = 1 - tar[t]!
    if (frr <= far[t]!) {
      const g1 = 1 - tar[t - 1]! - far[t - 1]! // > 0
      const g2 = frr - far[t]! // <= 0
      const w = g1 === g2 ? 0 : g1 / (g1 - g2)
      eer = far[t - 1]! + w * (far[t]! - far[t - 1]!)
      eerThreshold = Math.abs(g1) < Math.abs(g2) ? thresholds[t - 1]! : thresholds[t]!
      break
    }
  }
  const tarAtFar = fars.map((target) => {
    let best = 0
    let threshold = Number.POSITIVE_INFINITY
    for (let t = 0; t < far.length; t++) {
      if (far[t]! <= target && tar[t]! >= best) {
        best = tar[t]!
        threshold = thresholds[t]!
      }
    }
    return { far: target, tar: best, threshold }
  })
  return {
    roc: { thresholds: Float64Array.from(thresholds), far: Float64Array.from(far), tar: Float64Array.from(tar) },
    auc,
    eer,
    eerThreshold,
    tarAtFar,
    genuine: G,
    impostor: I
  }
}

/**
 * All unordered pairs `i < j` of a labelled set with their distances (tfjs on the active backend) and same-identity
 * labels, ready for {@link verification} with `scoreType: "distance"`. Memory grows as `n^2 / 2`.
 * @category verification
 */
export const allPairs = (
  features: FeaturesInput,
  ids: ArrayLike<number>,
  metric: DistanceMetric = "cosine"
): { readonly distances: Float32Array; readonly same: Uint8Array } => {
  const m = toFeatureMatrix(features)
  const labels = toInt32(ids, "identities")
  if (labels.length !== m.rows)
    throw new LengthMismatch({ what: "identities", expected: m.rows, actual: labels.length })
  const full = pairwiseDistances(m, m, { metric })
  const n = m.rows
  const distances = new Float32Array((n * (n - 1)) / 2)
  const same = new Uint8Array(distances.length)
  let k = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      distances[k] = full[i * n + j]!
      same[k++] = labels[i] === labels[j] ? 1 : 0
    }
  }
  return { distances, same }
}
