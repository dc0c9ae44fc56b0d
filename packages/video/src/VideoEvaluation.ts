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
 *
 * **The official MARS protocol** (`galleryIncludesQueries`, set for MARS by `DatasetFrames`): the gallery is every
 * test tracklet, the query tracklets included (Zheng et al., ECCV 2016, and `@reidfx/eval`'s `mars`), so a query
 * whose only cross-camera matches are other query tracklets still has a ground truth; its own tracklet is junk by
 * the same-identity-same-camera rule. For I2V this is the convention of TKP (Gu et al., "Temporal Knowledge
 * Propagation for Image-to-Video Person Re-identification", ICCV 2019), whose evaluation the I2V papers (MDKT's
 * comparison table among them) follow: github:guxinqian/TKP `test.py` appends the query tracklets to the MARS
 * gallery ("gallery set must contain query set, otherwise 140 query imgs will not have ground truth") and
 * `utils/data_manager.py` `_extract_1stfeame` takes the first frame of each query tracklet as its query image.
 * DukeMTMC-VideoReID and VeRi-776 keep their gallery as it is (TKP appends queries for MARS only).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { imageToVideo, type RankingResult, videoToVideo } from "@reidfx/eval"
import { ConfigFields, RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"
import { frameIndices, type FrameLoader, type Tracklet } from "./ClipData.ts"
import type { VideoModelBase } from "./VideoModel.ts"

const { NonNegativeInt, PositiveInt, withDefault } = ConfigFields

/** Evaluation: I2V (one query frame vs gallery tracklets) and V2V (tracklet vs tracklet); CMC-1/5/10, mAP, mINP (an MDKT protocol's `evaluation`). @category models @since 0.1.0 */
export const EvaluationSpec = Schema.Struct({
  /** Frames of each tracklet pooled into its embedding (0: all). */
  frames: withDefault(NonNegativeInt, 0),
  /** Which frame of a query tracklet is the I2V query image. */
  queryFrame: withDefault(Schema.Literals(["first", "middle"]), "first"),
  /** Also evaluate the teacher (V2V and I2V). */
  teacher: withDefault(Schema.Boolean, true),
  batchSize: withDefault(PositiveInt, 64)
})
export type EvaluationSpec = typeof EvaluationSpec.Type

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
        loader.write(
          c.positions.map((p) => c.tracklet.frames[p]!),
          false,
          pixels,
          k * length * frameSize
        )
      })
      const embedded = tf.tidy(() =>
        model.embed(tf.tensor5d(pixels, [chunk.length, length, loader.height, loader.width, 3]))
      )
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

/** What the evaluation labels and the gallery convention of a world are. @category models @since 0.1.0 */
export interface EvaluationLabels {
  readonly junkIdentities?: ReadonlyArray<number>
  readonly distractorIdentities?: ReadonlyArray<number>
  /** The official MARS protocol: the query tracklets are also gallery tracklets (see the module doc). */
  readonly galleryIncludesQueries?: boolean
}

/**
 * The evaluation protocol in words, for reports: query, gallery, the rules, and whose convention it is.
 * @category rendering
 * @since 0.1.0
 */
export const describeProtocol = (
  spec: Pick<EvaluationSpec, "frames" | "queryFrame">,
  labels: EvaluationLabels = {}
): string => {
  const clip = spec.frames === 0 ? "all its frames" : `${spec.frames} evenly spaced frames`
  const gallery =
    labels.galleryIncludesQueries === true
      ? "every test tracklet, the query tracklets included (official MARS protocol; I2V as TKP, Gu et al. ICCV 2019, github:guxinqian/TKP test.py)"
      : "the gallery tracklets"
  const junk = [
    ...(labels.junkIdentities ?? []).map((i) => `identity ${i} junk`),
    ...(labels.distractorIdentities ?? []).map((i) => `identity ${i} distractor`)
  ]
  return (
    `I2V: the ${spec.queryFrame} frame of each query tracklet; V2V: each query tracklet over ${clip}; gallery: ${gallery}, each tracklet over ${clip}; ` +
    `gallery items of the query's identity and camera are junk (Market-1501 / MARS rule)${junk.length > 0 ? `, ${junk.join(", ")}` : ""}; CMC and mAP over valid queries`
  )
}

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
  labels: EvaluationLabels = {}
): VideoScores => {
  const ownGallery = embedClips(
    model,
    gallery.map((t) => ({ tracklet: t, positions: clipPositions(t, spec.frames) })),
    loader,
    spec.batchSize
  )
  const queryClips = embedClips(
    model,
    query.map((t) => ({ tracklet: t, positions: clipPositions(t, spec.frames) })),
    loader,
    spec.batchSize
  )
  const queryImages = embedClips(
    model,
    query.map((t) => ({ tracklet: t, positions: [queryPosition(t, spec.queryFrame)] })),
    loader,
    spec.batchSize
  )
  const oneRowEach = (n: number) => Int32Array.from({ length: n }, (_, i) => i)
  // the official MARS gallery: the query tracklets (already embedded) first, then the gallery tracklets, as TKP
  const withQueries = labels.galleryIncludesQueries === true
  const galleryTracklets = withQueries ? [...query, ...gallery] : gallery
  const galleryClips = withQueries
    ? {
        data: Float32Array.from([...queryClips.data, ...ownGallery.data]),
        rows: query.length + gallery.length,
        dim: ownGallery.dim
      }
    : ownGallery
  const g = {
    frames: galleryClips,
    tracklet: oneRowEach(galleryTracklets.length),
    ids: galleryTracklets.map((t) => t.id),
    cams: galleryTracklets.map((t) => t.cam)
  }
  const qIds = query.map((t) => t.id)
  const qCams = query.map((t) => t.cam)
  const options = {
    maxRank: 10,
    junkIdentities: labels.junkIdentities ?? [-1],
    distractorIdentities: labels.distractorIdentities ?? [0]
  }
  const v2v = videoToVideo(
    { frames: queryClips, tracklet: oneRowEach(query.length), ids: qIds, cams: qCams },
    g,
    options
  )
  const i2v = imageToVideo({ frames: queryImages, tracklet: oneRowEach(query.length), ids: qIds, cams: qCams }, g, {
    ...options,
    queryFrame: "first"
  })
  return { i2v: scores(i2v), v2v: scores(v2v) }
}
