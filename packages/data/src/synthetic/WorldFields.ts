/**
 * The one schema of the synthetic world's options as config files write them: every dialect that declares a
 * synthetic world (the lifelong `Protocol`, the training `RunConfig`, the `MdktProtocol`) builds its world
 * struct from these fields, so their ranges and defaults agree with the world itself (`Synthetic.SyntheticOptions`):
 * `cameras: 12` fails when the file is decoded, not when a task opens, and a file that omits `difficulty`
 * gets the same preset everywhere.
 * @since 0.1.0
 */
import { ConfigFields } from "@reidfx/tensor"
import { Schema } from "effect"

/** The most cameras the world renders (Market-1501 / MARS file names give the camera one digit). */
export const maxCameras = 9

/** A number of cameras: 2 to {@link maxCameras}. @category schemas */
export const Cameras = ConfigFields.Count(2, maxCameras)

/** Cameras that see each identity: 2 to {@link maxCameras} (at most `cameras`; default min(cameras, 3)). @category schemas */
export const CamerasPerIdentity = ConfigFields.Count(2, maxCameras)

/** The difficulty presets of `synthetic/Difficulty.ts`, by name. @category schemas */
export const DifficultyName = Schema.Literals(["trivial", "easy", "medium", "hard"])
export type DifficultyName = typeof DifficultyName.Type

/** The difficulty of a world whose file does not name one. */
export const defaultDifficulty: DifficultyName = "medium"

/** What the identities are, as protocols write it. @category schemas */
export const Objects = Schema.Literals(["persons", "vehicles"])

/** The world's fields with their defaults; each dialect's world struct picks the ones it has. @category schemas */
export const fields = {
  /** What the identities are. */
  objects: ConfigFields.withDefault(Objects, "persons"),
  cameras: ConfigFields.withDefault(Cameras, 4),
  /** Cameras that see each identity (default: min(cameras, 3)). */
  camerasPerIdentity: Schema.optionalKey(CamerasPerIdentity),
  /** Images of each identity per camera. */
  imagesPerCamera: ConfigFields.withDefault(ConfigFields.ImagesPerCamera, 4),
  /** The difficulty preset (see `synthetic/Difficulty.ts`). */
  difficulty: ConfigFields.withDefault(DifficultyName, defaultDifficulty),
  /** The world's own seed (fixed across a protocol's seeds, which vary training only). */
  seed: ConfigFields.withDefault(ConfigFields.NonNegativeInt, 0)
}
