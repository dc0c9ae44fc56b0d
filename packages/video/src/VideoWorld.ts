/**
 * The tracklets of a protocol's world: the train, query and gallery tracklets of `@reidfx/data`'s synthetic
 * video world (people or vehicles walking / driving past several cameras, with motion and per-frame variation),
 * rendered on demand at the protocol's size, or of a video dataset on disk (MARS, DukeMTMC-VideoReID, VeRi-776;
 * see `DatasetFrames`), decoded once into a memory budget.
 *
 * Splits follow MARS: train and test identities are disjoint; for a test identity, the first tracklet of each
 * camera is a query when it has several per camera (only its first camera's otherwise) and the rest is the
 * gallery, so every query has cross-camera matches.
 * @since 0.1.0
 */
import { Synthetic } from "@reidfx/data"
import type { InvalidOption } from "@reidfx/tensor"
import { Effect } from "effect"
import { type FrameLoader, trackletsOf, type Tracklet } from "./ClipData.ts"
import * as DatasetFrames from "./DatasetFrames.ts"
import type { MdktProtocolInvalid } from "./errors.ts"
import type { DataSpec } from "./MdktProtocol.ts"

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
export const loadWorld = (spec: DataSpec): Effect.Effect<VideoSplits, InvalidOption | MdktProtocolInvalid> =>
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
