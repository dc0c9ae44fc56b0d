/**
 * Frame sampling of a tracklet into a clip of T frames (the strategies of torchreid's `VideoDataset`):
 *
 * | mode | frames | shorter than T |
 * |---|---|---|
 * | `evenly` | `n' = n - n mod T`, frames `0, n'/T, 2n'/T, ...` | all frames, then the last one repeated |
 * | `random` | T distinct frames uniformly at random, in temporal order | T draws with replacement, sorted |
 * | `first` | the first T consecutive frames | all frames, then the last one repeated |
 * | `all` | every frame (T is ignored; clips of different lengths cannot share a batch) | |
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"

/** How the frames of a clip are taken from a tracklet: evenly spaced, a random run, the first frames, or all of them. */
export const ClipMode = Schema.Literals(["evenly", "random", "first", "all"])
export type ClipMode = typeof ClipMode.Type

/** The frame indices (0-based, into a tracklet of `length` frames) of a clip. */
export const indices = (length: number, frames: number, mode: ClipMode, rng?: RandomStream): Array<number> => {
  if (length <= 0) throw new RangeError("ClipSampler: empty tracklet")
  return modes[mode](length, frames, rng)
}

/** The first frames of a tracklet of `length` frames, then its last one repeated up to `frames`. */
const firstFrames = (length: number, frames: number): Array<number> => {
  const xs = Array.from({ length: Math.min(length, frames) }, (_, i) => i)
  while (xs.length < frames) xs.push(length - 1)
  return xs
}

/** The indices of each {@link ClipMode} (a record of handlers: adding a mode is its literal and its entry here). */
const modes: {
  readonly [M in ClipMode]: (length: number, frames: number, rng: RandomStream | undefined) => Array<number>
} = {
  all: (length) => Array.from({ length }, (_, i) => i),
  first: firstFrames,
  evenly: (length, frames) => {
    if (length < frames) return firstFrames(length, frames)
    const n = length - (length % frames)
    const step = n / frames
    return Array.from({ length: frames }, (_, i) => i * step)
  },
  random: (length, frames, rng) => {
    if (rng === undefined) throw new RangeError("ClipSampler: mode 'random' needs a RandomStream")
    const all = Array.from({ length }, (_, i) => i)
    const picked =
      length >= frames ? rng.sample(all, frames) : Array.from({ length: frames }, () => rng.nextInt(length))
    return picked.sort((a, b) => a - b)
  }
}

/** The frames of a clip of a tracklet. */
export const clip = <F>(frames: ReadonlyArray<F>, t: number, mode: ClipMode, rng?: RandomStream): Array<F> =>
  indices(frames.length, t, mode, rng).map((i) => frames[i]!)
