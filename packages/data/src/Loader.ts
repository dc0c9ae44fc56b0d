/**
 * Loading batch plans into pixels and tensors, ahead of training.
 *
 * - {@link hostBatch}: decodes (sharp) or renders (synthetic) every frame of a plan, resizes, augments with
 *   the seeded stream `(seed, "augmentation/<batch>/<entry>/<frame>")`, normalises: a {@link HostBatch} of
 *   plain typed arrays. Deterministic: the pixels of batch b depend only on the seed, b and the plan. `b` is
 *   the position in the stream: when you build one stream per epoch, give each epoch its own seed (e.g.
 *   drawn from the run's Rng), or every epoch repeats the same augmentations.
 * - {@link hostStream}: a stream of host batches, loaded `concurrency` at a time and prefetched into a
 *   bounded buffer of `prefetch` batches (the producer runs ahead of training, never more than `prefetch`).
 * - {@link batchStream}: the same as tensors; each {@link Batch}'s tensors are owned by the stream and disposed
 *   when the next batch is pulled (or the stream ends), so a training loop never leaks them. Keep a tensor
 *   beyond that with `tf.clone` (or use {@link hostStream} and `Batch.toTensors` yourself).
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import { Effect, Stream } from "effect"
import * as Batch from "./Batch.ts"
import type { BatchPlan, HostBatch } from "./Batch.ts"
import type { CorruptImage } from "./errors.ts"
import * as Image from "./Image.ts"
import type { RgbImage } from "./Image.ts"
import { type Item, sourceKey } from "./Item.ts"
import * as Augment from "./pipeline/Augment.ts"
import { decode } from "./pipeline/Decode.ts"
import type { ImageCache } from "./pipeline/ImageCache.ts"
import * as Normalize from "./pipeline/Normalize.ts"

/** How a loader turns items into batches: the input size, the augmentations (none for evaluation) and the normalisation. */
export interface LoaderOptions {
  readonly height: number
  readonly width: number
  /** Training augmentations; none when omitted (evaluation). */
  readonly augment?: Augment.AugmentOptions
  /** Default: ImageNet. */
  readonly normalization?: Normalize.Normalization
  /** Seed of the augmentation streams (default 0). */
  readonly seed?: number
  /** Decoded-image cache (keyed by source and size). */
  readonly cache?: ImageCache
  /** Images decoded concurrently within a batch (default 8). */
  readonly decodeConcurrency?: number
  /** Batches loaded concurrently (default 1). */
  readonly concurrency?: number
  /** Batches buffered ahead of the consumer (default 2). */
  readonly prefetch?: number
}

// Rendered sources of different worlds may share a key (every synthetic world names its images Market-style),
// so the cache key of a rendered image also names its renderer (one id per render function, i.e. per image
// of a world; copies of an item share it).
const rendererIds = new WeakMap<object, number>()
let nextRendererId = 0
const rendererId = (render: object): number => {
  let id = rendererIds.get(render)
  if (id === undefined) rendererIds.set(render, (id = nextRendererId++))
  return id
}

/** The cache key of an item at a size: the file path, or the rendered key and its renderer. */
export const cacheKey = (item: Item, height: number, width: number): string =>
  item.source._tag === "File"
    ? `${item.source.path}@${height}x${width}`
    : `${sourceKey(item)}#${rendererId(item.source.render)}@${height}x${width}`

/** The pixels of one item at a size: from the cache, else decoded (files) or rendered (synthetic). */
export const load = (
  item: Item,
  height: number,
  width: number,
  cache?: ImageCache
): Effect.Effect<RgbImage, CorruptImage> =>
  Effect.suspend(() => {
    const key = cacheKey(item, height, width)
    const hit = cache?.get(key)
    if (hit !== undefined) return Effect.succeed(hit)
    const source = item.source
    const loaded =
      source._tag === "File"
        ? decode(source.path, height, width)
        : Effect.sync(() => Image.resize(source.render(height, width), height, width))
    return cache === undefined ? loaded : Effect.tap(loaded, (img) => Effect.sync(() => cache.set(key, img)))
  })

/**
 * Loads, augments and normalises one plan (batch number `index` selects the augmentation streams). The images
 * of a batch are decoded concurrently (`decodeConcurrency`, default 8: sharp decodes on libuv's thread pool).
 */
export const hostBatch = (
  plan: BatchPlan,
  options: LoaderOptions,
  index: number
): Effect.Effect<HostBatch, CorruptImage> =>
  Effect.gen(function* () {
    const { height, width } = options
    const per = height * width * 3
    const pixels = new Float32Array(plan.entries.length * plan.frames * per)
    const norm = options.normalization ?? Normalize.imagenet
    const seed = options.seed ?? 0
    const images = yield* Effect.forEach(plan.entries.flat(), (item) => load(item, height, width, options.cache), {
      concurrency: options.decodeConcurrency ?? 8
    })
    for (let b = 0; b < plan.entries.length; b++) {
      const entry = plan.entries[b]!
      for (let f = 0; f < entry.length; f++) {
        const rgb = images[b * plan.frames + f]!
        const img = Normalize.toUnit(rgb)
        if (options.augment !== undefined) {
          Augment.apply(img, options.augment, RandomStream.fromSeed(seed, `augmentation/${index}/${b}/${f}`))
        }
        Normalize.normalizeInto(img, norm, pixels, (b * plan.frames + f) * per)
      }
    }
    return { plan, height, width, pixels }
  })

/** Host batches of a stream of plans, loaded ahead of the consumer (bounded by `prefetch`). */
export const hostStream = <E, R>(
  plans: Stream.Stream<BatchPlan, E, R>,
  options: LoaderOptions
): Stream.Stream<HostBatch, E | CorruptImage, R> =>
  plans.pipe(
    Stream.zipWithIndex,
    Stream.mapEffect(([plan, i]) => hostBatch(plan, options, i), { concurrency: options.concurrency ?? 1 }),
    Stream.buffer({ capacity: options.prefetch ?? 2 })
  )

/** Tensor batches; each batch's tensors are disposed when the next one is pulled or the stream ends. */
export const batchStream = <E, R>(
  plans: Stream.Stream<BatchPlan, E, R>,
  options: LoaderOptions
): Stream.Stream<Batch.Batch, E | CorruptImage, R> =>
  hostStream(plans, options).pipe(
    Stream.flatMap((host) =>
      Stream.scoped(
        Stream.fromEffect(
          Effect.acquireRelease(
            Effect.sync(() => Batch.toTensors(host)),
            (b) => Effect.sync(() => Batch.dispose(b))
          )
        )
      )
    )
  )
