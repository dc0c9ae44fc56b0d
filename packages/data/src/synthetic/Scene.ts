/**
 * Short multi-camera videos of the synthetic world with per-frame detections, the input of multi-camera tracking
 * (`@reidfx/eval` `track`, `reidfx track`) with its ground truth.
 *
 * Each chosen identity walks through some of its cameras (`world.camerasOf`) one after the other: in each visit it
 * crosses the camera's frame horizontally at constant speed on its own ground line, for `visitFrames` frames, and the
 * next visit starts `gap` frames after the previous one ends (so the same person is never in two cameras at once).
 * Each frame of a visit is a detection: the box in frame coordinates, the crop (`world.render` of a `Frame` shot of
 * the visit's tracklet: gait, camera look and detector jitter as the video dataset renders them) and the identity.
 * What a detector gets wrong is drawn from the scene's seed:
 *
 * - **misses**: each detection is dropped with probability `missRate` (the ground truth keeps it, flagged `missed`);
 * - **occlusion**: with probability `occlusionRate` an occluder (a grey pole) covers a fraction in
 *   `[0.25, 0.5]` of the crop's width, drawn into the crop and the frame; `occluded` is that fraction.
 *
 * `frame(cam, f)` renders the camera's whole frame (its flat background and every visible crop pasted at its box),
 * to write the video out or look at it. Nothing is random across calls: same world, same options, same scene.
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import * as Image from "../Image.ts"
import type { RgbImage } from "../Image.ts"
import type { SyntheticWorld } from "../Synthetic.ts"

/** Options of {@link make}. */
export interface SceneOptions {
  /** Identities that walk through the scene (default: the world's first 4 test identities, or as many as exist). */
  readonly identities?: ReadonlyArray<number>
  /** Cameras filmed (default: all of the world's). */
  readonly cameras?: number
  /** Frames of each camera visit (default 12). */
  readonly visitFrames?: number
  /** Frames between two visits of one identity (default 2). */
  readonly gap?: number
  /** Frame size (default 4 crop heights x 8 crop widths). */
  readonly frameHeight?: number
  readonly frameWidth?: number
  /** Probability that a detection is missed (default 0.05). */
  readonly missRate?: number
  /** Probability that a detection is occluded (default 0.1). */
  readonly occlusionRate?: number
  /** Seed of the scene's layout, misses and occluders (default the world's seed). */
  readonly seed?: number
}

/** One detection (or, when `missed`, a ground-truth box the detector did not report). */
export interface SceneDetection {
  readonly frame: number
  readonly camera: number
  /** `[x, y, w, h]` in frame pixels. */
  readonly box: readonly [number, number, number, number]
  readonly id: number
  /** Fraction of the crop's width hidden by an occluder (0: none). */
  readonly occluded: number
  readonly missed: boolean
  /** The crop as the detector sees it (occluder drawn in). */
  readonly crop: () => RgbImage
}

/** A rendered multi-camera scene. */
export interface Scene {
  readonly cameras: number
  /** Frames per camera (every camera films the whole time). */
  readonly frames: number
  readonly frameHeight: number
  readonly frameWidth: number
  /** Every ground-truth box, in (frame, camera) order; the detector's output is the ones not `missed`. */
  readonly truth: ReadonlyArray<SceneDetection>
  /** The detections (not missed), in (frame, camera) order. */
  readonly detections: ReadonlyArray<SceneDetection>
  /** The whole frame `f` of camera `cam`. */
  readonly frame: (cam: number, f: number) => RgbImage
}

const OCCLUDER: readonly [number, number, number] = [110, 110, 110]

const occlude = (image: RgbImage, fraction: number, fromLeft: boolean): RgbImage => {
  if (fraction <= 0) return image
  const data = Uint8Array.from(image.data)
  const cols = Math.round(fraction * image.width)
  for (let y = 0; y < image.height; y++) {
    for (let k = 0; k < cols; k++) {
      const x = fromLeft ? k : image.width - 1 - k
      data.set(OCCLUDER, (y * image.width + x) * 3)
    }
  }
  return { height: image.height, width: image.width, data }
}

/**
 * Lays out and renders the scene (crops and frames are rendered lazily, on demand).
 * @category constructors
 */
export const make = (world: SyntheticWorld, options: SceneOptions = {}): Scene => {
  const h = world.options.height
  const w = world.options.width
  const cameras = Math.min(options.cameras ?? world.options.cameras, world.options.cameras)
  const testIds = [...new Set(world.dataset.query.map((i) => i.id))].sort((a, b) => a - b)
  const identities = options.identities ?? testIds.slice(0, 4)
  const visitFrames = options.visitFrames ?? 12
  const gap = options.gap ?? 2
  const frameHeight = options.frameHeight ?? 4 * h
  const frameWidth = options.frameWidth ?? 8 * w
  const missRate = options.missRate ?? 0.05
  const occlusionRate = options.occlusionRate ?? 0.1
  const rng = RandomStream.fromSeed(options.seed ?? world.options.seed, "scene")
  const truth: Array<SceneDetection> = []
  let frames = 0
  identities.forEach((id, k) => {
    const visits = world.camerasOf(id).filter((c) => c < cameras)
    // identities enter one after another (a third of a visit apart), so the scene is short but crowded
    let start = Math.floor((k * visitFrames) / 3)
    visits.forEach((cam) => {
      const leftToRight = rng.bernoulli(0.5)
      const y = Math.floor(rng.uniform(0, Math.max(1, frameHeight - h)))
      const x0 = leftToRight ? 0 : frameWidth - w
      const step = ((frameWidth - w) / Math.max(1, visitFrames - 1)) * (leftToRight ? 1 : -1)
      const tracklet = id * 1000 + cam
      for (let t = 0; t < visitFrames; t++) {
        const occluded = rng.bernoulli(occlusionRate) ? rng.uniform(0.25, 0.5) : 0
        const fromLeft = rng.bernoulli(0.5)
        const missed = rng.bernoulli(missRate)
        const box = [Math.round(x0 + step * t), y, w, h] as const
        const crop = () => occlude(world.render({ _tag: "Frame", id, cam, tracklet, frame: t }), occluded, fromLeft)
        truth.push({ frame: start + t, camera: cam, box, id, occluded, missed, crop })
      }
      frames = Math.max(frames, start + visitFrames)
      start += visitFrames + gap
    })
  })
  truth.sort((a, b) => a.frame - b.frame || a.camera - b.camera || a.id - b.id)
  const detections = truth.filter((d) => !d.missed)
  const background = (cam: number): readonly [number, number, number] => {
    const r = RandomStream.fromSeed(options.seed ?? world.options.seed, `scene/background/${cam}`)
    return [60 + r.nextInt(120), 60 + r.nextInt(120), 60 + r.nextInt(120)]
  }
  const frame = (cam: number, f: number): RgbImage => {
    const img = Image.make(frameHeight, frameWidth)
    const bg = background(cam)
    for (let p = 0; p < frameHeight * frameWidth; p++) img.data.set(bg, 3 * p)
    for (const d of detections) {
      if (d.camera !== cam || d.frame !== f) continue
      const crop = d.crop()
      const [x, y] = d.box
      for (let r = 0; r < crop.height && y + r < frameHeight; r++) {
        const from = Math.max(0, -x)
        const to = Math.min(crop.width, frameWidth - x)
        if (to > from)
          img.data.set(
            crop.data.subarray((r * crop.width + from) * 3, (r * crop.width + to) * 3),
            ((y + r) * frameWidth + x + from) * 3
          )
      }
    }
    return img
  }
  return { cameras, frames, frameHeight, frameWidth, truth, detections, frame }
}

/**
 * A colour histogram of a crop (`bins` per channel, joint over the three channels: `bins^3` values, L1-normalised),
 * the appearance descriptor of the early ReID methods (e.g. ELF, Gray & Tao 2008): enough to link the synthetic
 * world's people, whose clothes differ in colour, without a trained model.
 * @category features
 */
export const colourHistogram = (image: RgbImage, bins = 4): Float32Array => {
  const out = new Float32Array(bins ** 3)
  const n = image.height * image.width
  for (let p = 0; p < n; p++) {
    const r = Math.min(bins - 1, Math.floor((image.data[3 * p]! * bins) / 256))
    const g = Math.min(bins - 1, Math.floor((image.data[3 * p + 1]! * bins) / 256))
    const b = Math.min(bins - 1, Math.floor((image.data[3 * p + 2]! * bins) / 256))
    out[(r * bins + g) * bins + b]! += 1 / n
  }
  return out
}
