/**
 * Video ReID: temporal pooling of frame embeddings into tracklet embeddings, and the video protocols.
 *
 * | protocol | query | gallery |
 * |---|---|---|
 * | `videoToVideo` (V2V) | pooled query tracklets | pooled gallery tracklets |
 * | `imageToVideo` (I2V) | one frame per query tracklet (`queryFrame`, default `"first"`) | pooled gallery tracklets |
 * | `videoToImage` (V2I) | pooled query tracklets | gallery frames (each an image) |
 * | `mars` | pooled tracklets at `queryIndices` | **all** pooled tracklets, the queries included |
 *
 * In the MARS protocol (Zheng et al., "MARS: A Video Benchmark for Large-Scale Person Re-identification", ECCV
 * 2016) the gallery contains the query tracklets themselves; the junk rule (same identity and same camera) removes
 * each query's own tracklet, and MARS's junk identity -1 and distractor identity 0 follow the ranking defaults.
 * Every protocol ranks with {@link evaluateRanking} and takes its options.
 * @since 0.1.0
 */
import { EmptySet, LengthMismatch } from "./errors.ts"
import { type FeatureMatrix, type FeaturesInput, toFeatureMatrix, toInt32 } from "./Features.ts"
import { InvalidOption } from "@reidfx/tensor"
import { evaluateRanking, type RankingOptionsInput, type RankingResult } from "./Ranking.ts"

/** Temporal pooling of frame embeddings: the mean or the element-wise max over a tracklet's frames. */
export type TemporalPooling = "mean" | "max"

/**
 * Frames of tracklets: `frames` rows are frame embeddings, `tracklet[f]` is the tracklet (0..T-1) of frame `f`;
 * `ids` and `cams` are per tracklet (length T).
 */
export interface TrackletSet {
  readonly frames: FeaturesInput
  readonly tracklet: ArrayLike<number>
  readonly ids: ArrayLike<number>
  readonly cams: ArrayLike<number>
}

/**
 * Pools frame embeddings into one embedding per tracklet (mean or element-wise max), in tracklet order
 * `0..numTracklets-1`. Throws `EmptySet` when a tracklet has no frame.
 * @category video
 */
export const temporalPool = (
  frames: FeatureMatrix,
  tracklet: ArrayLike<number>,
  numTracklets: number,
  pooling: TemporalPooling = "mean"
): FeatureMatrix => {
  if (tracklet.length !== frames.rows)
    throw new LengthMismatch({ what: "tracklet of each frame", expected: frames.rows, actual: tracklet.length })
  const t = toInt32(tracklet, "tracklet of each frame")
  const dim = frames.dim
  const out = new Float32Array(numTracklets * dim).fill(pooling === "max" ? Number.NEGATIVE_INFINITY : 0)
  const acc = new Float64Array(pooling === "mean" ? numTracklets * dim : 0)
  const count = new Int32Array(numTracklets)
  for (let f = 0; f < frames.rows; f++) {
    const k = t[f]!
    if (k < 0 || k >= numTracklets) {
      throw new InvalidOption({
        what: "tracklet of each frame",
        detail: `frame ${f} belongs to tracklet ${k}, outside 0..${numTracklets - 1}`
      })
    }
    count[k]!++
    for (let d = 0; d < dim; d++) {
      const v = frames.data[f * dim + d]!
      if (pooling === "mean") acc[k * dim + d]! += v
      else if (v > out[k * dim + d]!) out[k * dim + d] = v
    }
  }
  for (let k = 0; k < numTracklets; k++) {
    if (count[k] === 0) throw new EmptySet({ what: `tracklet ${k}` })
    if (pooling === "mean") for (let d = 0; d < dim; d++) out[k * dim + d] = acc[k * dim + d]! / count[k]!
  }
  return { data: out, rows: numTracklets, dim }
}

interface Prepared {
  readonly frames: FeatureMatrix
  readonly tracklet: Int32Array
  readonly ids: ArrayLike<number>
  readonly cams: ArrayLike<number>
  readonly T: number
}

const prepare = (set: TrackletSet, what: string): Prepared => {
  const frames = toFeatureMatrix(set.frames, `${what} frames`)
  if (set.ids.length !== set.cams.length)
    throw new LengthMismatch({ what: `${what} tracklet cameras`, expected: set.ids.length, actual: set.cams.length })
  if (set.tracklet.length !== frames.rows) {
    throw new LengthMismatch({
      what: `${what} tracklet of each frame`,
      expected: frames.rows,
      actual: set.tracklet.length
    })
  }
  const tracklet = toInt32(set.tracklet, `${what} tracklet of each frame`)
  const T = set.ids.length
  tracklet.forEach((k, f) => {
    if (k < 0 || k >= T) {
      throw new InvalidOption({
        what: `${what} tracklet of each frame`,
        detail: `frame ${f} belongs to tracklet ${k}, outside 0..${T - 1} (one id and cam per tracklet)`
      })
    }
  })
  return { frames, tracklet, ids: set.ids, cams: set.cams, T }
}

/** Which frame of a query tracklet is the I2V query: first (default), middle, last or an offset into the tracklet. */
export type QueryFrame = "first" | "middle" | "last" | number

const pickFrames = (p: Prepared, which: QueryFrame): FeatureMatrix => {
  const framesOf: Array<Array<number>> = Array.from({ length: p.T }, () => [])
  for (let f = 0; f < p.tracklet.length; f++) framesOf[p.tracklet[f]!]?.push(f)
  const dim = p.frames.dim
  const out = new Float32Array(p.T * dim)
  framesOf.forEach((fs, k) => {
    if (fs.length === 0) throw new EmptySet({ what: `tracklet ${k}` })
    const at =
      which === "first"
        ? 0
        : which === "last"
          ? fs.length - 1
          : which === "middle"
            ? Math.floor((fs.length - 1) / 2)
            : which
    if (!Number.isInteger(at) || at < 0 || at >= fs.length) {
      throw new InvalidOption({
        what: "queryFrame",
        detail: `frame ${at} of tracklet ${k}, which has ${fs.length} frames`
      })
    }
    out.set(p.frames.data.subarray(fs[at]! * dim, (fs[at]! + 1) * dim), k * dim)
  })
  return { data: out, rows: p.T, dim }
}

/** Options of the video protocols: the ranking options plus pooling. */
export interface VideoOptions extends RankingOptionsInput {
  /** Temporal pooling of tracklets. Default `"mean"`. */
  readonly pooling?: TemporalPooling
}

const rankingOnly = (o: VideoOptions): RankingOptionsInput => {
  const { pooling: _pooling, ...rest } = o
  return rest
}

/** Video-to-video: pooled query tracklets against pooled gallery tracklets. @category video */
export const videoToVideo = (query: TrackletSet, gallery: TrackletSet, options: VideoOptions = {}): RankingResult => {
  const q = prepare(query, "query")
  const g = prepare(gallery, "gallery")
  const pooling = options.pooling ?? "mean"
  return evaluateRanking(
    {
      query: { features: temporalPool(q.frames, q.tracklet, q.T, pooling), ids: q.ids, cams: q.cams },
      gallery: { features: temporalPool(g.frames, g.tracklet, g.T, pooling), ids: g.ids, cams: g.cams }
    },
    rankingOnly(options)
  )
}

/** Image-to-video: one frame of each query tracklet (default the first) against pooled gallery tracklets. @category video */
export const imageToVideo = (
  query: TrackletSet,
  gallery: TrackletSet,
  options: VideoOptions & { readonly queryFrame?: QueryFrame } = {}
): RankingResult => {
  const q = prepare(query, "query")
  const g = prepare(gallery, "gallery")
  const { queryFrame = "first", ...rest } = options
  return evaluateRanking(
    {
      query: { features: pickFrames(q, queryFrame), ids: q.ids, cams: q.cams },
      gallery: { features: temporalPool(g.frames, g.tracklet, g.T, rest.pooling ?? "mean"), ids: g.ids, cams: g.cams }
    },
    rankingOnly(rest)
  )
}

/** Video-to-image: pooled query tracklets against every gallery frame as an image (labels of its tracklet). @category video */
export const videoToImage = (query: TrackletSet, gallery: TrackletSet, options: VideoOptions = {}): RankingResult => {
  const q = prepare(query, "query")
  const g = prepare(gallery, "gallery")
  const ids = Array.from(g.tracklet, (k) => g.ids[k]!)
  const cams = Array.from(g.tracklet, (k) => g.cams[k]!)
  return evaluateRanking(
    {
      query: { features: temporalPool(q.frames, q.tracklet, q.T, options.pooling ?? "mean"), ids: q.ids, cams: q.cams },
      gallery: { features: g.frames, ids, cams }
    },
    rankingOnly(options)
  )
}

/**
 * The MARS protocol: queries are the tracklets at `queryIndices`, the gallery is every tracklet (queries
 * included; each query's own tracklet is junk by the same-identity-same-camera rule). @category video
 */
export const mars = (
  tracklets: TrackletSet,
  queryIndices: ArrayLike<number>,
  options: VideoOptions = {}
): RankingResult => {
  const all = prepare(tracklets, "tracklets")
  const pooled = temporalPool(all.frames, all.tracklet, all.T, options.pooling ?? "mean")
  const idx = toInt32(queryIndices, "query indices")
  const dim = pooled.dim
  const data = new Float32Array(idx.length * dim)
  idx.forEach((k, i) => {
    if (k < 0 || k >= all.T)
      throw new InvalidOption({ what: "query indices", detail: `index ${k} is outside 0..${all.T - 1}` })
    data.set(pooled.data.subarray(k * dim, (k + 1) * dim), i * dim)
  })
  return evaluateRanking(
    {
      query: {
        features: { data, rows: idx.length, dim },
        ids: Array.from(idx, (k) => all.ids[k]!),
        cams: Array.from(idx, (k) => all.cams[k]!)
      },
      gallery: { features: pooled, ids: all.ids, cams: all.cams }
    },
    rankingOnly(options)
  )
}
