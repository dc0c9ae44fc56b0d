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
  const pad = (xs: Array<number>) => {
    while (xs.length < frames) xs.push(length - 1)
    return xs
  }
  switch (mode) {
    case "all":
      return Array.from({ length }, (_, i) => i)
    case "first":
      return pad(Array.from({ length: Math.min(length, frames) }, (_, i) => i))
    case "evenly": {
      if (length < frames) return pad(Array.from({ length }, (_, i) => i))
      const n = length - (length % frames)
      const step = n / frames
      return Array.from({ length: frames }, (_, i) => i * step)
    }
    case "random": {
      if (rng === undefined) throw new RangeError("ClipSampler: mode 'random' needs a RandomStream")
      const all = Array.from({ length }, (_, i) => i)
      const picked =
        length >= frames ? rng.sample(all, frames) : Array.from({ length: frames }, () => rng.nextInt(length))
      return picked.sort((a, b) => a - b)
    }
  }
}

/** The frames of a clip of a tracklet. */
export const clip = <F>(frames: ReadonlyArray<F>, t: number, mode: ClipMode, rng?: RandomStream): Array<F> =>
  indices(frames.length, t, mode, rng).map((i) => frames[i]!)
