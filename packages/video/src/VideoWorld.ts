/**
 * The video world of a config file (its Schema: {@link DataSpec}, the `data` section of an MDKT protocol) and its
 * tracklets: the train, query and gallery tracklets of `@reidfx/data`'s synthetic
 * video world (people or vehicles walking / driving past several cameras, with motion and per-frame variation),
 * rendered on demand at the configured size, or of a video dataset on disk (MARS, DukeMTMC-VideoReID, VeRi-776;
 * see `DatasetFrames`), decoded once into a memory budget.
 *
 * Splits follow MARS: train and test identities are disjoint; for a test identity, the first tracklet of each
 * camera is a query when it has several per camera (only its first camera's otherwise) and the rest is the
 * gallery, so every query has cross-camera matches.
 * @since 0.1.0
 */
import { Synthetic } from "@reidfx/data"
import { ConfigFields, type InvalidOption } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import { type FrameLoader, trackletsOf, type Tracklet } from "./ClipData.ts"
import * as DatasetFrames from "./DatasetFrames.ts"
import type { VideoDataInvalid } from "./errors.ts"
import * as VideoLayoutCatalog from "./VideoLayoutCatalog.ts"

const { Positive, PositiveInt, Probability, withDefault } = ConfigFields

/**
 * The built-in synthetic video world of `@reidfx/data`: tracklets of people (or vehicles) walking (driving)
 * through several cameras. Train and test identities are disjoint. @category models @since 0.1.0
 */
export const SyntheticVideoWorld = Schema.Struct({
  kind: Schema.Literal("synthetic"),
  objects: Synthetic.WorldFields.fields.objects,
  trainIdentities: withDefault(PositiveInt, 48),
  testIdentities: withDefault(PositiveInt, 48),
  /** 2 to 9, as the world (`@reidfx/data` `Synthetic.WorldFields`, the one schema of the world's fields). */
  cameras: Synthetic.WorldFields.fields.cameras,
  /** Cameras that see each identity (default: min(cameras, 3)). */
  camerasPerIdentity: Synthetic.WorldFields.fields.camerasPerIdentity,
  /** Tracklets of each identity per camera (with 2 or more, each camera of a test identity gives a query). */
  trackletsPerCamera: withDefault(PositiveInt, 2),
  /** Frames of each tracklet. */
  frames: withDefault(PositiveInt, 8),
  /** Difficulty preset of the world (see `@reidfx/data`'s `Difficulty`). */
  difficulty: Synthetic.WorldFields.fields.difficulty,
  /** The world's own seed (fixed across the protocol's seeds, which vary initialisation and sampling). */
  seed: Synthetic.WorldFields.fields.seed
})
export type SyntheticVideoWorld = typeof SyntheticVideoWorld.Type

/** A video dataset on disk, read by `@reidfx/data`'s readers. @category models @since 0.1.0 */
export const VideoLayoutDataset = Schema.Struct({
  kind: Schema.Literal("layout"),
  /** A name of `VideoLayoutCatalog` (`mars`, `dukeMTMCVideoReID`, `veri776`; older spellings accepted). */
  layout: VideoLayoutCatalog.LayoutName,
  root: Schema.NonEmptyString,
  /** Memory for the decoded frames (8-bit RGB at data.height x data.width), in MiB (default 1024; see `DatasetFrames`). */
  cacheMegabytes: Schema.optionalKey(Positive),
  /** Keep at most this many evenly spaced frames of each tracklet (default: all that fit the budget). */
  framesPerTracklet: Schema.optionalKey(PositiveInt),
  /** MARS: drop tracklets shorter than this (torchreid's `min_seq_len`). */
  minFrames: Schema.optionalKey(PositiveInt)
})
export type VideoLayoutDataset = typeof VideoLayoutDataset.Type

/** Where the tracklets come from. @category models @since 0.1.0 */
export const VideoWorld = Schema.Union([SyntheticVideoWorld, VideoLayoutDataset])
export type VideoWorld = typeof VideoWorld.Type

/** The data of a video config (an MDKT protocol's `data`): the world, the frame size, the flip. @category models @since 0.1.0 */
export const DataSpec = Schema.Struct({
  world: VideoWorld,
  height: withDefault(PositiveInt, 64),
  width: withDefault(PositiveInt, 32),
  /** Random horizontal flip probability (one draw per clip, so all its frames flip together). */
  flip: withDefault(Probability, 0.5)
})
export type DataSpec = typeof DataSpec.Type

/** The tracklets of a world, by split. @category models @since 0.1.0 */
export interface VideoSplits {
  readonly name: string
  readonly objects: "persons" | "vehicles"
  readonly train: ReadonlyArray<Tracklet>
  readonly query: ReadonlyArray<Tracklet>
  readonly gallery: ReadonlyArray<Tracklet>
  /** Gallery identities that are junk / distractors in the ranking (MARS: -1 / 0; the synthetic world: none). */
  readonly junkIdentities: ReadonlyArray<number>
  readonly distractorIdentities: ReadonlyArray<number>
  /** The official MARS protocol: the query tracklets are gallery tracklets too (see `VideoEvaluation`). */
  readonly galleryIncludesQueries?: boolean
  /** The loader of a dataset on disk (its frames decoded up front); absent for the synthetic world (rendered on demand). */
  readonly loader?: FrameLoader
}

/**
 * Loads the world of a protocol's data spec: the synthetic world (frames rendered on demand), or a dataset on
 * disk (MARS, DukeMTMC-VideoReID, VeRi-776 grouped into vehicle x camera tracks) read by `@reidfx/data`'s
 * readers, its frames decoded and resized up front within `cacheMegabytes` (see `DatasetFrames`); the splits of a
 * dataset then carry the `loader` that serves those frames.
 * @category constructors
 * @since 0.1.0
 */
export const loadWorld = (spec: DataSpec): Effect.Effect<VideoSplits, InvalidOption | VideoDataInvalid> =>
  Effect.gen(function* () {
    const w = spec.world
    if (w.kind === "layout") {
      const read = yield* DatasetFrames.readTracklets(w)
      const loaded = yield* DatasetFrames.preload(read, {
        height: spec.height,
        width: spec.width,
        budgetBytes: (w.cacheMegabytes ?? DatasetFrames.defaultCacheMegabytes) * 2 ** 20,
        ...(w.framesPerTracklet === undefined ? {} : { framesPerTracklet: w.framesPerTracklet }),
        what: `data.world (${w.layout} at ${w.root})`
      })
      return {
        name: Number.isFinite(loaded.framesPerTracklet)
          ? `${read.name} (at most ${loaded.framesPerTracklet} frames per tracklet)`
          : read.name,
        objects: read.objects,
        train: loaded.train,
        query: loaded.query,
        gallery: loaded.gallery,
        junkIdentities: read.junkIdentities,
        distractorIdentities: read.distractorIdentities,
        ...(read.galleryIncludesQueries === true ? { galleryIncludesQueries: true } : {}),
        loader: loaded.loader
      }
    }
    const preset = Synthetic.presets[w.difficulty]
    const world = yield* Synthetic.make({
      kind: w.objects === "persons" ? "person" : "vehicle",
      seed: w.seed,
      identities: w.trainIdentities + w.testIdentities,
      trainIdentities: w.trainIdentities,
      cameras: w.cameras,
      ...(w.camerasPerIdentity === undefined ? {} : { camerasPerIdentity: w.camerasPerIdentity }),
      tracklets: { perCamera: w.trackletsPerCamera, frames: w.frames, minFrames: w.frames },
      height: spec.height,
      width: spec.width,
      difficulty: { ...preset }
    })
    return {
      name: world.dataset.name,
      objects: w.objects,
      train: trackletsOf(world.dataset.train),
      query: trackletsOf(world.dataset.query),
      gallery: trackletsOf(world.dataset.gallery),
      junkIdentities: [],
      distractorIdentities: []
    }
  })
