/**
 * Training and evaluation batches.
 *
 * A {@link BatchPlan} is what a sampler decides (which items, in which order, with which labels); a
 * {@link HostBatch} holds the decoded, augmented, normalised pixels in plain typed arrays (safe to prefetch
 * on another fiber, no tensors involved); a {@link Batch} holds the tfjs tensors a training step reads.
 *
 * Episodic batches follow the layout of `@reidfx/metric`'s `EpisodeLayout`: the first `ways * shots` entries
 * are the support set, class-major (`shots` items of episode class 0, then of class 1, ...), then
 * `ways * queries` query entries, class-major. Episode class c is the c-th distinct identity in that order.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Item } from "./Item.ts"

/** N-way, K-shot support + Q queries per class (same shape as `@reidfx/metric`'s `EpisodeLayout`). */
export interface EpisodeLayout {
  readonly ways: number
  readonly shots: number
  readonly queries: number
}

/**
 * What to load: `entries[b]` is one item (image batches, `frames: 1`) or the `frames` items of a clip.
 * `labels` are the train-local contiguous labels (0..K-1, from `Dataset.labelMap`), or the original identities
 * for evaluation batches; `ids` are always the original identities and `cams` the cameras.
 */
export interface BatchPlan {
  readonly entries: ReadonlyArray<ReadonlyArray<Item>>
  /** 1 for image batches, T for clips. */
  readonly frames: number
  readonly labels: Int32Array
  readonly ids: Int32Array
  readonly cams: Int32Array
  readonly episode?: EpisodeLayout
}

/** Loaded pixels: `[B, H, W, 3]` (frames 1) or `[B, T, H, W, 3]` float32 values in `pixels`, row-major. */
export interface HostBatch {
  readonly plan: BatchPlan
  readonly height: number
  readonly width: number
  readonly pixels: Float32Array
}

/**
 * A batch as tensors. `images` is `[B, H, W, 3]` float32 for image batches and `[B, T, H, W, 3]` for clips;
 * `labels` and `cams` are int32 `[B]`. The consumer owns the tensors (see {@link dispose}).
 */
export interface Batch {
  readonly images: tf.Tensor4D | tf.Tensor5D
  readonly labels: tf.Tensor1D
  readonly cams: tf.Tensor1D
  /** The original identities (not relabelled). */
  readonly ids: Int32Array
  readonly items: ReadonlyArray<ReadonlyArray<Item>>
  readonly episode?: EpisodeLayout
}

/** Builds a plan from entries, mapping identities to labels with `labels` (identity when omitted). */
export const plan = (
  entries: ReadonlyArray<ReadonlyArray<Item>>,
  labels?: ReadonlyMap<number, number>,
  episode?: EpisodeLayout
): BatchPlan => {
  const n = entries.length
  const ids = new Int32Array(n)
  const cams = new Int32Array(n)
  const lab = new Int32Array(n)
  let frames = 1
  entries.forEach((e, b) => {
    const first = e[0]!
    ids[b] = first.id
    cams[b] = first.cam
    const l = labels === undefined ? first.id : labels.get(first.id)
    if (l === undefined) throw new RangeError(`Batch.plan: identity ${first.id} has no label in the label map`)
    lab[b] = l
    if (b === 0) frames = e.length
    else if (e.length !== frames) throw new RangeError(`Batch.plan: entries have ${frames} and ${e.length} frames`)
  })
  return episode === undefined
    ? { entries, frames, labels: lab, ids, cams }
    : { entries, frames, labels: lab, ids, cams, episode }
}

/** Creates the tensors of a host batch (clips when `plan.frames > 1` or `asClips`). */
export const toTensors = (host: HostBatch, asClips = host.plan.frames > 1): Batch => {
  const { plan: p, height, width } = host
  const b = p.entries.length
  const images = asClips
    ? tf.tensor5d(host.pixels, [b, p.frames, height, width, 3], "float32")
    : tf.tensor4d(host.pixels, [b * p.frames, height, width, 3], "float32")
  const base = {
    images,
    labels: tf.tensor1d(p.labels, "int32"),
    cams: tf.tensor1d(p.cams, "int32"),
    ids: p.ids,
    items: p.entries
  }
  return p.episode === undefined ? base : { ...base, episode: p.episode }
}

/** Disposes a batch's tensors. */
export const dispose = (batch: Batch): void => {
  batch.images.dispose()
  batch.labels.dispose()
  batch.cams.dispose()
}
