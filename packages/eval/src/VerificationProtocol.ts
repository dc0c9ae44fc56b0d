/**
 * 1:1 verification as an application: the accept threshold is chosen on a **validation** split at a target FAR
 * and then applied, unchanged, to a disjoint **test** split, as a deployed system would (the seed's "1:1
 * verification"; the face-verification protocol of a development / evaluation split, e.g. LFW's View 1 / View 2).
 *
 * - The identities are split at random (seeded) into validation and test; pairs are all unordered pairs within
 *   each split ({@link allPairs}), scored by distance (lower = same).
 * - threshold = the validation ROC's TAR@FAR threshold for `far` (the largest TAR among points with FAR <= far).
 * - On the test split: the TAR and FAR actually obtained at that threshold, plus the test ROC, AUC, EER.
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import type { DistanceMetric } from "./Distances.ts"
import { toFeatureMatrix, toInt32, type FeatureMatrix, type FeaturesInput } from "./Features.ts"
import { allPairs, verification, type VerificationResult } from "./Verification.ts"

/** Options of {@link verifyWithValidation}. @since 0.1.0 */
export interface VerifyOptions {
  /** Fraction of identities in the validation split (default 0.5). */
  readonly validationFraction?: number
  /** Target FAR the threshold is chosen at (default 1e-2). */
  readonly far?: number
  /** Distance (default cosine). */
  readonly metric?: DistanceMetric
  /** Seed of the identity split (default 0). */
  readonly seed?: number
}

/** The result of {@link verifyWithValidation}. @since 0.1.0 */
export interface VerifyResult {
  /** Accept a pair when its distance is <= threshold. */
  readonly threshold: number
  readonly validation: VerificationResult
  readonly test: VerificationResult
  /** TAR and FAR on the test pairs at the validation threshold. */
  readonly testAtThreshold: { readonly tar: number; readonly far: number }
  readonly validationIdentities: ReadonlyArray<number>
  readonly testIdentities: ReadonlyArray<number>
}

/** A seeded permutation (mulberry32 + Fisher-Yates). @category math @since 0.1.0 */
export const shuffled = <A>(items: ReadonlyArray<A>, seed: number): Array<A> => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const subset = (m: FeatureMatrix, rows: ReadonlyArray<number>): FeatureMatrix => {
  const data = new Float32Array(rows.length * m.dim)
  rows.forEach((r, i) => {
    data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim)
  })
  return { data, rows: rows.length, dim: m.dim }
}

/** TAR and FAR of distance-scored pairs at `distance <= threshold`. @category verification @since 0.1.0 */
export const ratesAt = (
  distances: ArrayLike<number>,
  same: ArrayLike<number | boolean>,
  threshold: number
): { readonly tar: number; readonly far: number } => {
  let [g, i, tp, fp] = [0, 0, 0, 0]
  for (let k = 0; k < distances.length; k++) {
    const accept = distances[k]! <= threshold
    if (same[k]) {
      g++
      if (accept) tp++
    } else {
      i++
      if (accept) fp++
    }
  }
  return { tar: g === 0 ? 0 : tp / g, far: i === 0 ? 0 : fp / i }
}

/**
 * Chooses the threshold on a validation split of the identities and reports it on the others (see the module doc).
 * Throws `InvalidOption` for a bad fraction or FAR, or fewer than 2 identities with 2 items on either side.
 * @category verification
 * @since 0.1.0
 */
export const verifyWithValidation = (
  features: FeaturesInput,
  ids: ArrayLike<number>,
  options: VerifyOptions = {}
): VerifyResult => {
  const m = toFeatureMatrix(features)
  const labels = toInt32(ids, "identities")
  const fraction = options.validationFraction ?? 0.5
  const far = options.far ?? 1e-2
  if (!(fraction > 0 && fraction < 1))
    throw new InvalidOption({ what: "verify validationFraction", detail: `${fraction} is not in (0, 1)` })
  if (!(far > 0 && far <= 1)) throw new InvalidOption({ what: "verify far", detail: `${far} is not in (0, 1]` })
  const identities = shuffled(
    [...new Set(labels)].sort((a, b) => a - b),
    options.seed ?? 0
  )
  const cut = Math.round(identities.length * fraction)
  const validationIdentities = identities.slice(0, cut).sort((a, b) => a - b)
  const testIdentities = identities.slice(cut).sort((a, b) => a - b)
  if (validationIdentities.length < 2 || testIdentities.length < 2) {
    throw new InvalidOption({
      what: "verify",
      detail: `${identities.length} identities cannot be split into two sets of at least 2 (validation fraction ${fraction})`
    })
  }
  const side = (keep: ReadonlyArray<number>) => {
    const set = new Set(keep)
    const rows = Array.from(labels, (l, r) => (set.has(l) ? r : -1)).filter((r) => r >= 0)
    return allPairs(
      subset(m, rows),
      rows.map((r) => labels[r]!),
      options.metric ?? "cosine"
    )
  }
  const val = side(validationIdentities)
  const test = side(testIdentities)
  const validation = verification(val.distances, val.same, { scoreType: "distance", fars: [far] })
  const threshold = validation.tarAtFar[0]!.threshold
  return {
    threshold,
    validation,
    test: verification(test.distances, test.same, { scoreType: "distance", fars: [far] }),
    testAtThreshold: ratesAt(test.distances, test.same, threshold),
    validationIdentities,
    testIdentities
  }
}
