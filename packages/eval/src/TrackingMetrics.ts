/**
 * Identity metrics of tracking, over detections that carry a true identity and a predicted one (tracklet or
 * cross-camera identity):
 *
 * - **IDF1, IDP, IDR** (Ristani et al., "Performance Measures and a Data Set for Multi-Target, Multi-Camera
 *   Tracking", ECCV 2016 workshops): true and predicted trajectories are matched one-to-one to maximise the
 *   detections they share (IDTP); `IDP = IDTP / predicted`, `IDR = IDTP / true`, `IDF1 = 2 IDTP / (true + predicted)`.
 *   Detections are given (no missed or false detections), so true = predicted = the number of detections and
 *   IDF1 = IDP = IDR; the three are reported to keep the definitions apart.
 * - **ID switches** (CLEAR MOT, Bernardin & Stiefelhagen 2008): along each true identity's detections in frame
 *   order (per camera), the number of times its predicted identity changes from the last one it had.
 * - **purity** of the predicted groups (the share of detections that carry their group's majority identity).
 * @since 0.1.0
 */
import { LengthMismatch } from "./errors.ts"
import { hungarian } from "./Assignment.ts"

/** Tracking identity metrics. @since 0.1.0 */
export interface TrackingScores {
  readonly idf1: number
  readonly idp: number
  readonly idr: number
  readonly idtp: number
  readonly idSwitches: number
  readonly purity: number
}

/**
 * Scores of `predicted` identities against `truth`, for detections at `frames` (and `cameras`: switches are counted
 * per camera, in frame order).
 * @category tracking
 * @since 0.1.0
 */
export const trackingScores = (
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  frames: ArrayLike<number>,
  cameras?: ArrayLike<number>
): TrackingScores => {
  const n = predicted.length
  if (truth.length !== n) throw new LengthMismatch({ what: "true identities", expected: n, actual: truth.length })
  if (frames.length !== n) throw new LengthMismatch({ what: "frames", expected: n, actual: frames.length })
  const tIndex = new Map<number, number>()
  const pIndex = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    if (!tIndex.has(truth[i]!)) tIndex.set(truth[i]!, tIndex.size)
    if (!pIndex.has(predicted[i]!)) pIndex.set(predicted[i]!, pIndex.size)
  }
  const [T, P] = [tIndex.size, pIndex.size]
  const shared = new Float64Array(T * P)
  for (let i = 0; i < n; i++) shared[tIndex.get(truth[i]!)! * P + pIndex.get(predicted[i]!)!]! += 1
  const assignment = hungarian(
    Float64Array.from(shared, (v) => -v),
    T,
    P
  )
  let idtp = 0
  assignment.forEach((j, t) => {
    if (j >= 0) idtp += shared[t * P + j]!
  })
  let purity = 0
  for (let j = 0; j < P; j++) {
    let best = 0
    for (let t = 0; t < T; t++) best = Math.max(best, shared[t * P + j]!)
    purity += best
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (cameras?.[a] ?? 0) - (cameras?.[b] ?? 0) || frames[a]! - frames[b]! || a - b
  )
  const last = new Map<string, number>()
  let idSwitches = 0
  for (const i of order) {
    const key = `${cameras?.[i] ?? 0}:${truth[i]}`
    const prev = last.get(key)
    if (prev !== undefined && prev !== predicted[i]) idSwitches++
    last.set(key, predicted[i]!)
  }
  return {
    idf1: n === 0 ? 0 : (2 * idtp) / (2 * n),
    idp: n === 0 ? 0 : idtp / n,
    idr: n === 0 ? 0 : idtp / n,
    idtp,
    idSwitches,
    purity: n === 0 ? 0 : purity / n
  }
}
