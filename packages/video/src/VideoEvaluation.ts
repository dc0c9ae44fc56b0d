/**
 * Evaluation of a video model with `@reidfx/eval`'s video protocols:
 *
 * | protocol | query | gallery |
 * |---|---|---|
 * | I2V (image-to-video) | one frame of each query tracklet (`queryFrame`), embedded as a one-frame clip | each gallery tracklet embedded as a clip |
 * | V2V (video-to-video) | each query tracklet embedded as a clip | each gallery tracklet embedded as a clip |
 *
 * A tracklet's clip is all its frames (`frames: 0`) or `frames` evenly spaced ones, pooled by the model's own
 * temporal pooling (mean, max or quality) before its BNNeck; retrieval uses the neck features in inference mode.
 * Gallery items with the query's identity and camera are junk (the Market-1501 / MARS rule of `@reidfx/eval`);
 * junk (-1) and distractor (0) identities follow MARS unless `labels` says otherwise (the synthetic world has none).
 * Scores are percentages: CMC rank-k (`cmc1`, `cmc5`, `cmc10`; for vehicles the same numbers are top-1 / top-5),
 * mAP and mINP.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { imageToVideo, type RankingResult, videoToVideo } from "@reidfx/eval"
import { RandomStream } from "@reidfx/tensor"
import { frameIndices, type FrameLoader, type Tracklet } from "./ClipData.ts"
import type { EvaluationSpec } from "./MdktProtocol.ts"
import type { VideoModelBase } from "./VideoModel.ts"

/** Retrieval scores in percent. @category models @since 0.1.0 */
export interface RetrievalScores {
  readonly cmc1: number
  readonly cmc5: number
  readonly cmc10: number
  readonly mAP: number
  readonly mINP: number
  readonly queries: number
}

/** I2V and V2V scores of one model. @category models @since 0.1.0 */
export interface VideoScores {
  readonly i2v: RetrievalScores
  readonly v2v: RetrievalScores
}

const scores = (r: RankingResult): RetrievalScores => ({
  cmc1: 100 * r.rank1,
  cmc5: 100 * r.rank5,
  cmc10: 100 * r.rank10,
  mAP: 100 * r.mAP,
  mINP: 100 * r.mINP,
  queries: r.numValidQueries
})

/**
 * Embeds clips (each a list of frame positions of a tracklet) with the model in inference mode, batching clips of
 * equal length; returns `[N, D]` row-major embeddings in input order.
 * @category evaluation
 * @since 0.1.0
 */
export const embedClips = (
  model: VideoModelBase,
  clips: ReadonlyArray<{ readonly tracklet: Tracklet; readonly positions: ReadonlyArray<number> }>,
  loader: FrameLoader,
  batchSize: number
): { readonly data: Float32Array; readonly rows: number; readonly dim: number } => {
  const dim = model.featureDim
  const out = new Float32Array(clips.length * dim)
  const frameSize = loader.height * loader.width * 3
  const byLength = new Map<number, Array<number>>()
  clips.forEach((c, i) => {
    const g = byLength.get(c.positions.length)
    if (g === undefined) byLength.set(c.positions.length, [i])
    else g.push(i)
  })
  for (const [length, members] of byLength) {
    const per = Math.max(1, Math.floor(batchSize / length))
    for (let start = 0; start < members.length; start += per) {
      const chunk = members.slice(start, start + per)
      const pixels = new Float32Array(chunk.length * length * frameSize)
      chunk.forEach((i, k) => {
        const c = clips[i]!
        loader.write(c.positions.map((p) => c.tracklet.frames[p]!), false, pixels, k * length * frameSize)
      })
      const embedded = tf.tidy(() => model.embed(tf.tensor5d(pixels, [chunk.length, length, loader.height, loader.width, 3])))
      const values = embedded.dataSync()
      embedded.dispose()
      chunk.forEach((i, k) => {
        out.set(values.subarray(k * dim, (k + 1) * dim), i * dim)
      })
    }
  }
  return { data: out, rows: clips.length, dim }
}

const clipPositions = (t: Tracklet, frames: number): Array<number> =>
  frames === 0 || frames >= t.frames.length
    ? Array.from({ length: t.frames.length }, (_, i) => i)
    : frameIndices(t.frames.length, frames, "evenly", RandomStream.fromSeed(0))

const queryPosition = (t: Tracklet, which: EvaluationSpec["queryFrame"]): number =>
  which === "first" ? 0 : Math.floor((t.frames.length - 1) / 2)

/**
 * I2V and V2V scores of a model on query and gallery tracklets (see the module doc), computed by
 * `@reidfx/eval`'s `imageToVideo` and `videoToVideo`.
 * @category evaluation
 * @since 0.1.0
 */
export const evaluateVideoModel = (
  model: VideoModelBase,
  query: ReadonlyArray<Tracklet>,
  gallery: ReadonlyArray<Tracklet>,
  loader: FrameLoader,
  spec: Pick<EvaluationSpec, "frames" | "queryFrame" | "batchSize">,
  labels: { readonly junkIdentities?: ReadonlyArray<number>; readonly distractorIdentities?: ReadonlyArray<number> } = {}
): VideoScores => {
  const galleryClips = embedClips(model, gallery.map((t) => ({ tracklet: t, positions: clipPositions(t, spec.frames) })), loader, spec.batchSize)
  const queryClips = embedClips(model, query.map((t) => ({ tracklet: t, positions: clipPositions(t, spec.frames) })), loader, spec.batchSize)
  const queryImages = embedClips(model, query.map((t) => ({ tracklet: t, positions: [queryPosition(t, spec.queryFrame)] })), loader, spec.batchSize)
  const oneRowEach = (n: number) => Int32Array.from({ length: n }, (_, i) => i)
  const g = { frames: galleryClips, tracklet: oneRowEach(gallery.length), ids: gallery.map((t) => t.id), cams: gallery.map((t) => t.cam) }
  const qIds = query.map((t) => t.id)
  const qCams = query.map((t) => t.cam)
  const options = { maxRank: 10, junkIdentities: labels.junkIdentities ?? [-1], distractorIdentities: labels.distractorIdentities ?? [0] }
  const v2v = videoToVideo({ frames: queryClips, tracklet: oneRowEach(query.length), ids: qIds, cams: qCams }, g, options)
  const i2v = imageToVideo({ frames: queryImages, tracklet: oneRowEach(query.length), ids: qIds, cams: qCams }, g, { ...options, queryFrame: "first" })
  return { i2v: scores(i2v), v2v: scores(v2v) }
}
