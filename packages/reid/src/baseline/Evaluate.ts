/**
 * Evaluation of a model on a query / gallery split: embed every image (inference mode, retrieval features:
 * after the BNNeck), then CMC Rank-1/5/10, mAP and mINP with `@reidfx/eval`'s ranking protocol
 * (Market-1501 rules: same identity and camera is junk).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Batch, type CorruptImage, type ImageCache, type Item, Loader } from "@reidfx/data"
import { type DistanceMetric, evaluateRankingEffect, type EvalFailure, type RankingResult } from "@reidfx/eval"
import { type ModelBase, pcbDescriptor } from "@reidfx/model"
import { Effect } from "effect"

/** The scores of one evaluation (fractions in [0, 1]). */
export interface Scores {
  readonly rank1: number
  readonly rank5: number
  readonly rank10: number
  readonly mAP: number
  readonly mINP: number
}

/** Embeddings of items: `[rows, dim]` row-major, with identities and cameras. */
export interface Embedded {
  readonly data: Float32Array
  readonly rows: number
  readonly dim: number
  readonly ids: Int32Array
  readonly cams: Int32Array
}

/** How images are embedded for evaluation: the input size (and the batch size). */
export interface EmbedOptions {
  readonly height: number
  readonly width: number
  readonly batchSize?: number
  readonly cache?: ImageCache.ImageCache
  /**
   * Test-time flip: add the embedding of the horizontally flipped image (torchreid / fast-reid `flip` test
   * augmentation; the DwoPP authors' `fast_extract_feature`). Default false.
   */
  readonly flip?: boolean
  /** L2-normalise each (summed) embedding: `f / max(||f||_2, 1e-12)`. Default false. */
  readonly normalize?: boolean
  /**
   * Which output: `neck` (retrieval embedding after the BNNeck, `model.embed`, default), `features` (before it), or
   * `parts` (PCB's descriptor of a model with `head.parts` or `head.local`: the unit-norm parts concatenated,
   * `pcbDescriptor`).
   */
  readonly embedding?: "neck" | "features" | "parts"
}

/**
 * Embeds items with a model in inference mode (no augmentation, ImageNet normalisation); with `flip` the embedding
 * is `e(x) + e(flip(x))`, with `normalize` it is divided by its L2 norm.
 */
export const embedItems = (
  model: ModelBase,
  items: ReadonlyArray<Item.Item>,
  options: EmbedOptions
): Effect.Effect<Embedded, CorruptImage> =>
  Effect.gen(function* () {
    if (
      options.embedding === "parts" &&
      model.config.head.parts === undefined &&
      model.config.head.local === undefined
    ) {
      return yield* Effect.die(new Error('embedding "parts" needs a model with head.parts or head.local'))
    }
    const size = options.batchSize ?? 128
    // the parts descriptor's size is known after the first batch (stripes depend on the feature map)
    let dim = model.featureDim
    let data = new Float32Array(options.embedding === "parts" ? 0 : items.length * dim)
    const ids = new Int32Array(items.length)
    const cams = new Int32Array(items.length)
    for (let start = 0, b = 0; start < items.length; start += size, b++) {
      const chunk = items.slice(start, start + size)
      const host = yield* Loader.hostBatch(
        Batch.plan(chunk.map((i) => [i])),
        {
          height: options.height,
          width: options.width,
          ...(options.cache === undefined ? {} : { cache: options.cache })
        },
        b
      )
      const one = (images: tf.Tensor4D): tf.Tensor2D => {
        if (options.embedding === "neck" || options.embedding === undefined) return model.embed(images)
        const out = model.forward(images, { training: false })
        if (options.embedding === "features") return out.features as tf.Tensor2D
        if (out.localFeatures === undefined)
          throw new Error('embedding "parts" needs a model with head.parts or head.local')
        return pcbDescriptor(out.localFeatures as tf.Tensor3D)
      }
      const embedding = tf.tidy(() => {
        const images = tf.tensor4d(host.pixels, [chunk.length, options.height, options.width, 3])
        const sum =
          options.flip === true ? (tf.add(one(images), one(tf.reverse(images, 2))) as tf.Tensor2D) : one(images)
        return options.normalize === true
          ? (tf.div(sum, tf.maximum(tf.norm(sum, 2, 1, true), 1e-12)) as tf.Tensor2D)
          : sum
      })
      const values = yield* Effect.promise(() => embedding.data() as Promise<Float32Array>)
      if (start === 0 && options.embedding === "parts") {
        dim = embedding.shape[1]
        data = new Float32Array(items.length * dim)
      }
      embedding.dispose()
      data.set(values, start * dim)
      chunk.forEach((item, i) => {
        ids[start + i] = item.id
        cams[start + i] = item.cam
      })
    }
    return { data, rows: items.length, dim, ids, cams }
  })

/** Ranks the gallery for every query. */
export const rank = (
  query: Embedded,
  gallery: Embedded,
  metric: DistanceMetric = "cosine"
): Effect.Effect<RankingResult, EvalFailure> =>
  evaluateRankingEffect(
    {
      query: { features: { data: query.data, rows: query.rows, dim: query.dim }, ids: query.ids, cams: query.cams },
      gallery: {
        features: { data: gallery.data, rows: gallery.rows, dim: gallery.dim },
        ids: gallery.ids,
        cams: gallery.cams
      }
    },
    { metric }
  )

/** Embeds query and gallery items and scores the ranking. */
export const evaluate = (
  model: ModelBase,
  split: { readonly query: ReadonlyArray<Item.Item>; readonly gallery: ReadonlyArray<Item.Item> },
  options: EmbedOptions & { readonly metric?: DistanceMetric }
): Effect.Effect<Scores, CorruptImage | EvalFailure> =>
  Effect.gen(function* () {
    const q = yield* embedItems(model, split.query, options)
    const g = yield* embedItems(model, split.gallery, options)
    const r = yield* rank(q, g, options.metric ?? "cosine")
    return { rank1: r.rank1, rank5: r.rank5, rank10: r.rank10, mAP: r.mAP, mINP: r.mINP }
  })
