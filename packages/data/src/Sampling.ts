/**
 * From a training split to the batch plans of an epoch: a declared sampler ({@link SamplerSpec}), the epoch
 * definition, and for video the clip sampling of each tracklet.
 *
 * **Epoch definition.** `PK` follows torchreid's `RandomIdentitySampler` exactly (each identity's instances cut
 * into chunks of K, identities drawn until fewer than P have chunks left). `CameraBalanced` and `Episodic` draw
 * independent batches; their epoch has the same nominal length, `floor(L / (P*K))` batches (with `P*K`
 * replaced by `ways * (shots + queries)` for episodes), L as in `PKSampler.batchesPerEpoch`, at least one.
 *
 * **Determinism.** Epoch `e` of a PK sampler uses the stream `(seed, "sampling/epoch/e")`; batch `b` of the
 * other samplers uses `(seed, "sampling/e/b")`; clip sampling of entry `i` of batch `b` uses
 * `(seed, "clip/e/b/i")`. The plans depend only on the seed, the data and the options.
 *
 * **Video.** With `clip` set, the units are tracklets (`Dataset.tracklets`) and every entry is a clip of
 * `clip.frames` frames sampled with `clip.mode`.
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import { Effect, Schema, Stream } from "effect"
import * as Batch from "./Batch.ts"
import type { BatchPlan } from "./Batch.ts"
import * as Dataset from "./Dataset.ts"
import { SamplerError } from "./errors.ts"
import type { Item, Labelled } from "./Item.ts"
import * as CameraBalancedSampler from "./samplers/CameraBalancedSampler.ts"
import * as ClipSampler from "./samplers/ClipSampler.ts"
import * as EpisodicSampler from "./samplers/EpisodicSampler.ts"
import * as IdentityIndex from "./samplers/IdentityIndex.ts"
import * as PKSampler from "./samplers/PKSampler.ts"
import * as SequentialSampler from "./samplers/SequentialSampler.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** The training samplers. */
export const SamplerSpec = Schema.Union([
  Schema.TaggedStruct("PK", { p: PositiveInt, k: PositiveInt }),
  Schema.TaggedStruct("CameraBalanced", { p: PositiveInt, k: PositiveInt }),
  Schema.TaggedStruct("Episodic", {
    ways: Schema.Int.check(Schema.isGreaterThanOrEqualTo(2)),
    shots: PositiveInt,
    queries: PositiveInt
  })
])
export type SamplerSpec = typeof SamplerSpec.Type

/** Clip sampling of video units. */
export const ClipSpec = Schema.Struct({ frames: PositiveInt, mode: ClipSampler.ClipMode })
export type ClipSpec = typeof ClipSpec.Type

/** What one epoch of a sampler is drawn from: the seed and the epoch number, so that each epoch's order is reproducible. */
export interface EpochOptions {
  readonly seed: number
  /** The epoch number (0-based). */
  readonly epoch: number
  /** Set for video: entries are clips of tracklets. */
  readonly clip?: ClipSpec
  /** Identity -> label map (default: `Dataset.labelMap(items)`, contiguous 0..K-1). */
  readonly labels?: ReadonlyMap<number, number>
}

/** A unit of sampling: one item, or one tracklet's frames. */
interface Unit extends Labelled {
  readonly frames: ReadonlyArray<Item>
}

const units = (items: ReadonlyArray<Item>, video: boolean): Array<Unit> =>
  video ? Dataset.tracklets(items) : items.map((i) => ({ id: i.id, cam: i.cam, frames: [i] }))

const toEntry = (unit: Unit, clip: ClipSpec | undefined, rng: () => RandomStream): ReadonlyArray<Item> =>
  clip === undefined
    ? unit.frames
    : ClipSampler.clip(unit.frames, clip.frames, clip.mode, clip.mode === "random" ? rng() : undefined)

/** The nominal number of batches of an epoch (see the module doc). */
export const batchesPerEpoch = (items: ReadonlyArray<Item>, spec: SamplerSpec, video = false): number => {
  const index = IdentityIndex.make(units(items, video))
  const pk = spec._tag === "Episodic" ? { p: spec.ways, k: spec.shots + spec.queries } : spec
  return Math.max(1, PKSampler.batchesPerEpoch(index, pk))
}

/**
 * The batch plans of one epoch. Throws {@link SamplerError} when the data cannot fill a batch (see
 * {@link epochPlansEffect} for the Effect form).
 */
export const epochPlans = (items: ReadonlyArray<Item>, spec: SamplerSpec, options: EpochOptions): Array<BatchPlan> => {
  const video = options.clip !== undefined
  const all = units(items, video)
  const index = IdentityIndex.make(all)
  const labels = options.labels ?? Dataset.labelMap(items)
  const e = options.epoch
  const clipRng = (b: number, i: number) => () => RandomStream.fromSeed(options.seed, `clip/${e}/${b}/${i}`)
  const finish = (batch: ReadonlyArray<Unit>, b: number, episode?: Batch.EpisodeLayout): BatchPlan =>
    Batch.plan(
      batch.map((u, i) => toEntry(u, options.clip, clipRng(b, i))),
      labels,
      episode
    )
  return samplers[spec._tag](spec as never, { index, seed: options.seed, epoch: e, finish })
}

/** What a sampler draws an epoch from: the identity index, the stream's seed and epoch, and how a batch is planned. */
interface EpochDraw {
  readonly index: IdentityIndex.IdentityIndex<Unit>
  readonly seed: number
  readonly epoch: number
  readonly finish: (batch: ReadonlyArray<Unit>, b: number, episode?: Batch.EpisodeLayout) => BatchPlan
}

/**
 * The epoch of each {@link SamplerSpec} (a record of handlers, one per member: adding a sampler is its Schema
 * member and its entry here).
 */
const samplers: {
  readonly [K in SamplerSpec["_tag"]]: (
    spec: Extract<SamplerSpec, { readonly _tag: K }>,
    d: EpochDraw
  ) => Array<BatchPlan>
} = {
  PK: (spec, d) =>
    PKSampler.epoch(d.index, RandomStream.fromSeed(d.seed, `sampling/epoch/${d.epoch}`), spec).map((b, i) =>
      d.finish(b, i)
    ),
  CameraBalanced: (spec, d) => {
    const n = Math.max(1, PKSampler.batchesPerEpoch(d.index, spec))
    return Array.from({ length: n }, (_, b) =>
      d.finish(CameraBalancedSampler.batch(d.index, RandomStream.fromSeed(d.seed, `sampling/${d.epoch}/${b}`), spec), b)
    )
  },
  Episodic: (spec, d) => {
    const n = Math.max(1, PKSampler.batchesPerEpoch(d.index, { p: spec.ways, k: spec.shots + spec.queries }))
    return Array.from({ length: n }, (_, b) => {
      const ep = EpisodicSampler.episode(d.index, RandomStream.fromSeed(d.seed, `sampling/${d.epoch}/${b}`), spec)
      return d.finish(ep.entries, b, ep.episode)
    })
  }
}

/** {@link epochPlans} as an Effect failing with {@link SamplerError}. */
export const epochPlansEffect = (
  items: ReadonlyArray<Item>,
  spec: SamplerSpec,
  options: EpochOptions
): Effect.Effect<Array<BatchPlan>, SamplerError> =>
  Effect.try({
    try: () => epochPlans(items, spec, options),
    catch: (e) => (e instanceof SamplerError ? e : new SamplerError({ sampler: spec._tag, detail: String(e) }))
  })

/** The plans of epochs `0..epochs-1`, one epoch computed at a time. */
export const planStream = (
  items: ReadonlyArray<Item>,
  spec: SamplerSpec,
  options: Omit<EpochOptions, "epoch"> & { readonly epochs: number }
): Stream.Stream<BatchPlan, SamplerError> =>
  Stream.range(0, options.epochs - 1).pipe(
    Stream.mapEffect((epoch) => epochPlansEffect(items, spec, { ...options, epoch })),
    Stream.flatMap((plans) => Stream.fromIterable(plans))
  )

/**
 * Sequential evaluation plans: every item (image data) or every tracklet (video data, with `clip`) exactly
 * once, in order, `batchSize` entries per batch. Labels are the original identities.
 */
export const evaluationPlans = (items: ReadonlyArray<Item>, batchSize: number, clip?: ClipSpec): Array<BatchPlan> =>
  SequentialSampler.batches(units(items, clip !== undefined), batchSize).map((batch, b) =>
    Batch.plan(batch.map((u, i) => toEntry(u, clip, () => RandomStream.fromSeed(0, `evaluation-clip/${b}/${i}`))))
  )
