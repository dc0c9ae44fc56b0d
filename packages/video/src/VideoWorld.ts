/**
 * The tracklets of a protocol's world: the train, query and gallery tracklets of `@reidfx/data`'s synthetic
 * video world (people or vehicles walking / driving past several cameras, with motion and per-frame variation),
 * rendered on demand at the protocol's size.
 *
 * Splits follow MARS: train and test identities are disjoint; for a test identity, the first tracklet of each
 * camera is a query when it has several per camera (only its first camera's otherwise) and the rest is the
 * gallery, so every query has cross-camera matches.
 * @since 0.1.0
 */
import { Synthetic } from "@reidfx/data"
import type { InvalidOption } from "@reidfx/tensor"
import { Effect } from "effect"
import { trackletsOf, type Tracklet } from "./ClipData.ts"
import { MdktProtocolInvalid } from "./errors.ts"
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
}

/**
 * Loads the world of a protocol's data spec. Datasets on disk (MARS, DukeMTMC-VideoReID, VeRi-776) fail with
 * {@link MdktProtocolInvalid} for now: the runner renders in-memory frames only (see the package README).
 * @category constructors
 * @since 0.1.0
 */
export const loadWorld = (spec: DataSpec): Effect.Effect<VideoSplits, InvalidOption | MdktProtocolInvalid> =>
  Effect.gen(function*() {
    const w = spec.world
    if (w.kind === "layout") {
      return yield* new MdktProtocolInvalid({
        what: `data.world (${w.layout} at ${w.root})`,
        detail: "the MDKT runner does not decode image files yet; use the synthetic world, or write the dataset's tracklets with @reidfx/data's readers into a custom runner"
      })
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
