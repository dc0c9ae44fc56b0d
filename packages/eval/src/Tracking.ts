/**
 * Tracking by re-identification (the seed's "tracking in a single camera" and "tracking across multiple
 * cameras"): per-frame detections with appearance features are linked into **tracklets** in each camera, then
 * tracklets are linked **across cameras** into identities by their ReID features.
 *
 * Single camera (frame by frame, in the manner of SORT / DeepSORT: Bewley et al. 2016, Wojke et al. 2017): the
 * cost between an active tracklet t and a detection d is
 *
 *     c(t, d) = w_iou (1 - IoU(box_t, box_d)) + w_app cos_dist(f_t, f_d)
 *
 * forbidden when IoU < `minIou` **and** the appearance distance > `maxAppearance` (a tracklet may jump in position
 * only if it looks the same), and matched by the Hungarian method (or greedily). `box_t` is the tracklet's last box,
 * `f_t` the exponential moving average of its features (`momentum`). Unmatched detections start tracklets;
 * tracklets unseen for more than `maxAge` frames end.
 *
 * Across cameras: every tracklet's mean feature, agglomerative clustering (average linkage) cut at `threshold`,
 * with tracklets of the same camera that overlap in time never merged (one person is in one place at a time).
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { greedy, hungarian } from "./Assignment.ts"
import { agglomerative } from "./Clustering.ts"

/** `[x, y, width, height]` in pixels. @since 0.1.0 */
export type Box = readonly [number, number, number, number]

/** One detection. @since 0.1.0 */
export interface Detection {
  readonly frame: number
  readonly camera: number
  readonly box: Box
  /** The ReID feature of the crop. */
  readonly feature: ArrayLike<number>
}

/** Intersection over union of two boxes. @category tracking @since 0.1.0 */
export const iou = (a: Box, b: Box): number => {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0])
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1])
  if (w <= 0 || h <= 0) return 0
  const inter = w * h
  return inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

const cosineDistance = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let [dot, na, nb] = [0, 0, 0]
  for (let k = 0; k < a.length; k++) {
    dot += a[k]! * b[k]!
    na += a[k]! * a[k]!
    nb += b[k]! * b[k]!
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb)
}

/** Options of {@link buildTracklets}. @since 0.1.0 */
export interface TrackletOptions {
  /** Weights of the motion (1 - IoU) and appearance (cosine distance) costs (default 0.5 and 0.5). */
  readonly iouWeight?: number
  readonly appearanceWeight?: number
  /** Below this IoU, a match needs an appearance distance <= maxAppearance (defaults 0.1 and 0.3). */
  readonly minIou?: number
  readonly maxAppearance?: number
  /** Frames a tracklet may go unseen before it ends (default 5). */
  readonly maxAge?: number
  /** Weight of the past in the tracklet's feature average (default 0.8). */
  readonly momentum?: number
  /** `hungarian` (default) or `greedy`. */
  readonly matching?: "hungarian" | "greedy"
}

/**
 * Tracklet ids (0, 1, ...) of the detections of **one** camera, in input order (see the module doc).
 * @category tracking
 * @since 0.1.0
 */
export const buildTracklets = (detections: ReadonlyArray<Detection>, options: TrackletOptions = {}): Int32Array => {
  const [wi, wa] = [options.iouWeight ?? 0.5, options.appearanceWeight ?? 0.5]
  const [minIou, maxApp, maxAge, momentum] = [
    options.minIou ?? 0.1,
    options.maxAppearance ?? 0.3,
    options.maxAge ?? 5,
    options.momentum ?? 0.8
  ]
  if (new Set(detections.map((d) => d.camera)).size > 1)
    throw new InvalidOption({
      what: "buildTracklets",
      detail: "detections of several cameras: build tracklets per camera"
    })
  const match = options.matching === "greedy" ? greedy : hungarian
  const out = new Int32Array(detections.length).fill(-1)
  const order = detections.map((_, i) => i).sort((a, b) => detections[a]!.frame - detections[b]!.frame || a - b)
  interface Track {
    id: number
    box: Box
    feature: Float64Array
    last: number
  }
  let active: Array<Track> = []
  let next = 0
  for (let s = 0; s < order.length; ) {
    const frame = detections[order[s]!]!.frame
    const now: Array<number> = []
    while (s < order.length && detections[order[s]!]!.frame === frame) now.push(order[s++]!)
    active = active.filter((t) => frame - t.last <= maxAge + 0)
    const cost = new Float64Array(active.length * now.length)
    active.forEach((t, i) => {
      now.forEach((d, j) => {
        const det = detections[d]!
        const o = iou(t.box, det.box)
        const app = cosineDistance(t.feature, det.feature)
        cost[i * now.length + j] = o < minIou && app > maxApp ? Number.POSITIVE_INFINITY : wi * (1 - o) + wa * app
      })
    })
    const assigned = match(cost, active.length, now.length)
    const taken = new Set<number>()
    assigned.forEach((j, i) => {
      if (j < 0) return
      const t = active[i]!
      const det = detections[now[j]!]!
      out[now[j]!] = t.id
      t.box = det.box
      t.last = frame
      for (let k = 0; k < t.feature.length; k++)
        t.feature[k] = momentum * t.feature[k]! + (1 - momentum) * det.feature[k]!
      taken.add(j)
    })
    now.forEach((d, j) => {
      if (taken.has(j)) return
      const det = detections[d]!
      out[d] = next
      active.push({ id: next++, box: det.box, feature: Float64Array.from(det.feature), last: frame })
    })
  }
  return out
}

/** Options of {@link linkAcrossCameras}. @since 0.1.0 */
export interface LinkOptions {
  /** Cosine distance at which average-linkage clustering of tracklet features stops (default 0.3). */
  readonly threshold?: number
}

/**
 * Global identities (0, 1, ...) of tracklets given as detection groups: `tracklets[i]` lists the detection indices
 * of tracklet i. Tracklets of one camera that share a frame are never merged (see the module doc).
 * @category tracking
 * @since 0.1.0
 */
export const linkAcrossCameras = (
  detections: ReadonlyArray<Detection>,
  tracklets: ReadonlyArray<ReadonlyArray<number>>,
  options: LinkOptions = {}
): Int32Array => {
  const n = tracklets.length
  if (n === 0) return new Int32Array(0)
  const dim = detections[tracklets[0]![0]!]!.feature.length
  const means = tracklets.map((members) => {
    const m = new Float64Array(dim)
    for (const d of members) for (let k = 0; k < dim; k++) m[k]! += detections[d]!.feature[k]! / members.length
    return m
  })
  const spans = tracklets.map((members) => ({
    camera: detections[members[0]!]!.camera,
    frames: new Set(members.map((d) => detections[d]!.frame))
  }))
  const d = new Float64Array(n * n)
  const cannotLink = 1e6
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const clash = spans[i]!.camera === spans[j]!.camera && [...spans[i]!.frames].some((f) => spans[j]!.frames.has(f))
      const v = clash ? cannotLink : cosineDistance(means[i]!, means[j]!)
      d[i * n + j] = v
      d[j * n + i] = v
    }
  }
  return agglomerative(d, n, { linkage: "average", threshold: options.threshold ?? 0.3 })
}

/**
 * Multi-camera tracking: tracklets per camera ({@link buildTracklets}), then {@link linkAcrossCameras}. Returns
 * each detection's tracklet (globally numbered) and identity.
 * @category tracking
 * @since 0.1.0
 */
export const track = (
  detections: ReadonlyArray<Detection>,
  options: TrackletOptions & LinkOptions = {}
): { readonly tracklets: Int32Array; readonly identities: Int32Array } => {
  const tracklets = new Int32Array(detections.length)
  const groups: Array<Array<number>> = []
  for (const camera of [...new Set(detections.map((d) => d.camera))].sort((a, b) => a - b)) {
    const rows = detections.map((det, i) => (det.camera === camera ? i : -1)).filter((i) => i >= 0)
    const local = buildTracklets(
      rows.map((i) => detections[i]!),
      options
    )
    const offset = groups.length
    const count = local.reduce((m, t) => Math.max(m, t + 1), 0)
    for (let t = 0; t < count; t++) groups.push([])
    rows.forEach((i, r) => {
      tracklets[i] = offset + local[r]!
      groups[offset + local[r]!]!.push(i)
    })
  }
  const linked = linkAcrossCameras(detections, groups, options)
  return { tracklets, identities: Int32Array.from(tracklets, (t) => linked[t]!) }
}
