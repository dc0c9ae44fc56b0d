/**
 * Clips of tracklets for training and evaluation: the tracklet index of a video split, the PK sampler over
 * tracklets (P identities x K tracklets, with replacement when an identity has fewer than K), the frame
 * sampling of a clip, the student's frames as a subset of the teacher's, and pixel loading (render or decode,
 * cache, flip, ImageNet normalisation) into `[B, T, H, W, 3]` float32 buffers.
 *
 * Frame sampling strategies (T frames out of a tracklet of n):
 *
 * | sampling | frames | source |
 * |---|---|---|
 * | `restrictedRandom` (default) | split the tracklet into T equal chunks, one random frame per chunk | restricted random sampling, Li et al. "Diversity Regularized Spatiotemporal Attention", CVPR 2018 |
 * | `random` | T distinct random frames in temporal order | torchreid's `VideoDataset` |
 * | `evenly` | frames `0, n'/T, 2n'/T, ...` with `n' = n - n mod T` | torchreid's `VideoDataset` |
 * | `first` | the first T consecutive frames | torchreid's `VideoDataset` |
 *
 * Tracklets shorter than T repeat their last frame (`evenly`, `first`) or draw with replacement.
 * @since 0.1.0
 */
import { Dataset } from "@reidfx/data"
import type { RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"

/** How T frames are picked from a tracklet (the module table; a config file's `sampling`). @category models @since 0.1.0 */
export const FrameSampling = Schema.Literals(["restrictedRandom", "random", "evenly", "first"])
export type FrameSampling = typeof FrameSampling.Type

/**
 * A frame of a video dataset: the structural shape of `@reidfx/data`'s `Item` that this module reads (so any
 * `Item` is one). @category models @since 0.1.0
 */
export interface Item {
  readonly source:
    | { readonly _tag: "File"; readonly path: string }
    | {
        readonly _tag: "Rendered"
        readonly key: string
        /** Draws the frame at `height` x `width` (8-bit RGB). */
        readonly render: (
          height: number,
          width: number
        ) => { readonly height: number; readonly width: number; readonly data: Uint8Array }
      }
  readonly id: number
  readonly cam: number
  readonly tracklet?: number
  readonly frame?: number
  readonly domain?: string
}

/** A tracklet: the frames (in temporal order) of one identity in one camera. @category models @since 0.1.0 */
export interface Tracklet {
  readonly id: number
  readonly cam: number
  readonly tracklet: number
  readonly frames: ReadonlyArray<Item>
}

/** Groups items into tracklets (by `domain` + `tracklet`; items without one become one-frame tracklets). @category constructors @since 0.1.0 */
export const trackletsOf = (items: ReadonlyArray<Item>): Array<Tracklet> =>
  Dataset.trackletGroups(items).sort((a, b) => a.id - b.id || a.cam - b.cam || a.tracklet - b.tracklet)

/** The training tracklets with contiguous labels. @category models @since 0.1.0 */
export interface TrackletIndex {
  readonly tracklets: ReadonlyArray<Tracklet>
  /** `labels[i]` is the label (0..classes-1) of tracklet i. */
  readonly labels: Int32Array
  /** Tracklet indices of each label. */
  readonly byLabel: ReadonlyArray<ReadonlyArray<number>>
  readonly classes: number
}

/** Indexes training tracklets, labelling identities 0..K-1 in increasing identity order. @category constructors @since 0.1.0 */
export const indexTracklets = (tracklets: ReadonlyArray<Tracklet>): TrackletIndex => {
  const ids = [...new Set(tracklets.map((t) => t.id))].sort((a, b) => a - b)
  const label = new Map(ids.map((id, i) => [id, i]))
  const labels = Int32Array.from(tracklets, (t) => label.get(t.id)!)
  const byLabel: Array<Array<number>> = ids.map(() => [])
  labels.forEach((l, i) => {
    byLabel[l]!.push(i)
  })
  return { tracklets, labels, byLabel, classes: ids.length }
}

/**
 * P identities x K tracklets (indices into the index's tracklets): identities without replacement, tracklets
 * without replacement when the identity has at least K, with replacement otherwise.
 * @category sampling
 * @since 0.1.0
 */
export const samplePK = (
  index: TrackletIndex,
  identities: number,
  instances: number,
  rng: RandomStream
): Array<number> => {
  const p = Math.min(identities, index.classes)
  const labels = rng.sample(
    Array.from({ length: index.classes }, (_, i) => i),
    p
  )
  const out: Array<number> = []
  for (const l of labels) {
    const pool = index.byLabel[l]!
    const picked =
      pool.length >= instances
        ? rng.sample([...pool], instances)
        : Array.from({ length: instances }, () => pool[rng.nextInt(pool.length)]!)
    out.push(...picked)
  }
  return out
}

/**
 * The frame indices of a clip of `frames` frames from a tracklet of `length` (see the module table).
 * @category sampling
 * @since 0.1.0
 */
export const frameIndices = (
  length: number,
  frames: number,
  sampling: FrameSampling,
  rng: RandomStream
): Array<number> => {
  if (length <= 0) throw new RangeError("frameIndices: empty tracklet")
  return frameSamplings[sampling](length, frames, rng)
}

/** The first frames of a tracklet of `length` frames, then its last one repeated up to `frames`. */
const firstFrames = (length: number, frames: number): Array<number> => {
  const xs = Array.from({ length: Math.min(length, frames) }, (_, i) => i)
  while (xs.length < frames) xs.push(length - 1)
  return xs
}

/** The indices of each {@link FrameSampling} (a record of handlers: adding one is its literal and its entry here). */
const frameSamplings: {
  readonly [S in FrameSampling]: (length: number, frames: number, rng: RandomStream) => Array<number>
} = {
  first: firstFrames,
  evenly: (length, frames) => {
    if (length < frames) return firstFrames(length, frames)
    const step = (length - (length % frames)) / frames
    return Array.from({ length: frames }, (_, i) => i * step)
  },
  random: (length, frames, rng) => {
    const all = Array.from({ length }, (_, i) => i)
    const picked =
      length >= frames ? rng.sample(all, frames) : Array.from({ length: frames }, () => rng.nextInt(length))
    return picked.sort((a, b) => a - b)
  },
  restrictedRandom: (length, frames, rng) => {
    if (length < frames) return Array.from({ length: frames }, () => rng.nextInt(length)).sort((a, b) => a - b)
    return Array.from({ length: frames }, (_, i) => {
      const start = Math.floor((i * length) / frames)
      const end = Math.floor(((i + 1) * length) / frames)
      return start + rng.nextInt(Math.max(end - start, 1))
    })
  }
}

/**
 * The student's frames: `frames` of the teacher's clip positions (`0..teacherFrames-1`), distinct when possible,
 * in temporal order. With `frames = 1` the student sees one frame of the teacher's clip (image-to-video).
 * @category sampling
 * @since 0.1.0
 */
export const studentPositions = (teacherFrames: number, frames: number, rng: RandomStream): Array<number> => {
  const all = Array.from({ length: teacherFrames }, (_, i) => i)
  const picked =
    frames <= teacherFrames ? rng.sample(all, frames) : Array.from({ length: frames }, () => rng.nextInt(teacherFrames))
  return picked.sort((a, b) => a - b)
}

const MEAN = [0.485, 0.456, 0.406] as const
const STD = [0.229, 0.224, 0.225] as const

/**
 * Loads frames into normalised float pixels, caching each frame (at the requested size) after its first load.
 * In-memory items (the synthetic world) are rendered; file items are decoded by `decode`.
 * @category models
 * @since 0.1.0
 */
export interface FrameLoader {
  readonly height: number
  readonly width: number
  /** Writes `[T, H, W, 3]` normalised pixels of `frames` at `out[offset...]`, flipped horizontally when `flip`. */
  readonly write: (frames: ReadonlyArray<Item>, flip: boolean, out: Float32Array, offset: number) => void
  /** Frames cached so far. */
  readonly cached: () => number
}

/** A decoder of file items to `[H, W, 3]` bytes at the requested size. @category models @since 0.1.0 */
export type FileDecoder = (path: string, height: number, width: number) => Uint8Array

/** A frame loader with an unbounded in-memory cache of normalised frames. @category constructors @since 0.1.0 */
export const makeFrameLoader = (height: number, width: number, decode?: FileDecoder): FrameLoader => {
  const cache = new Map<string, Float32Array>()
  const frameSize = height * width * 3
  const load = (item: Item): Float32Array => {
    const key = item.source._tag === "File" ? item.source.path : item.source.key
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    let bytes: Uint8Array
    if (item.source._tag === "Rendered") {
      const img = item.source.render(height, width)
      if (img.height !== height || img.width !== width)
        throw new RangeError(`frame ${key}: rendered ${img.height}x${img.width}, expected ${height}x${width}`)
      bytes = img.data
    } else {
      if (decode === undefined)
        throw new RangeError(`frame ${key}: file items need a decoder (see @reidfx/data's image pipeline)`)
      bytes = decode(item.source.path, height, width)
    }
    const px = new Float32Array(frameSize)
    for (let i = 0; i < frameSize; i++) {
      const c = i % 3
      px[i] = (bytes[i]! / 255 - MEAN[c]!) / STD[c]!
    }
    cache.set(key, px)
    return px
  }
  return {
    height,
    width,
    cached: () => cache.size,
    write: (frames, flip, out, offset) => {
      frames.forEach((item, t) => {
        const px = load(item)
        const base = offset + t * frameSize
        if (!flip) {
          out.set(px, base)
          return
        }
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const src = (y * width + (width - 1 - x)) * 3
            const dst = base + (y * width + x) * 3
            out[dst] = px[src]!
            out[dst + 1] = px[src + 1]!
            out[dst + 2] = px[src + 2]!
          }
        }
      })
    }
  }
}

/** One training batch of clips, on the host (no tensors). @category models @since 0.1.0 */
export interface ClipBatch {
  /** `[B, T, H, W, 3]` pixels of the teacher's clips. */
  readonly teacherPixels: Float32Array
  readonly teacherFrames: number
  /** `[B, T_s, H, W, 3]` pixels of the student's clips (a subset of each teacher clip), when a student is trained. */
  readonly studentPixels?: Float32Array
  readonly studentFrames: number
  readonly labels: Int32Array
  readonly cams: Int32Array
  readonly size: number
}

/**
 * Draws one PK batch of clips: each tracklet gets `teacherFrames` frames by `sampling`, and (when
 * `studentFrames > 0`) the student a random subset of `studentFrames` of them; one flip draw per clip.
 * @category sampling
 * @since 0.1.0
 */
export const drawBatch = (
  index: TrackletIndex,
  loader: FrameLoader,
  options: {
    readonly identities: number
    readonly instances: number
    readonly teacherFrames: number
    readonly studentFrames: number
    readonly sampling: FrameSampling
    readonly flip: number
  },
  rng: RandomStream
): ClipBatch => {
  const picks = samplePK(index, options.identities, options.instances, rng)
  const b = picks.length
  const frameSize = loader.height * loader.width * 3
  const teacherPixels = new Float32Array(b * options.teacherFrames * frameSize)
  const studentPixels = options.studentFrames > 0 ? new Float32Array(b * options.studentFrames * frameSize) : undefined
  const labels = new Int32Array(b)
  const cams = new Int32Array(b)
  picks.forEach((ti, k) => {
    const t = index.tracklets[ti]!
    labels[k] = index.labels[ti]!
    cams[k] = t.cam
    const clip = frameIndices(t.frames.length, options.teacherFrames, options.sampling, rng).map((i) => t.frames[i]!)
    const flip = rng.nextFloat() < options.flip
    loader.write(clip, flip, teacherPixels, k * options.teacherFrames * frameSize)
    if (studentPixels !== undefined) {
      const sub = studentPositions(options.teacherFrames, options.studentFrames, rng).map((i) => clip[i]!)
      loader.write(sub, flip, studentPixels, k * options.studentFrames * frameSize)
    }
  })
  return {
    teacherPixels,
    teacherFrames: options.teacherFrames,
    ...(studentPixels === undefined ? {} : { studentPixels }),
    studentFrames: options.studentFrames,
    labels,
    cams,
    size: b
  }
}
