import { RandomStream } from "@reidfx/tensor"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  drawBatch,
  frameIndices,
  indexTracklets,
  type Item,
  makeFrameLoader,
  samplePK,
  studentPositions,
  trackletsOf
} from "../src/ClipData.ts"

/** A frame whose pixels encode (tracklet, frame): every channel of every pixel is 10 * tracklet + frame. */
const item = (id: number, cam: number, tracklet: number, frame: number): Item => ({
  source: {
    _tag: "Rendered",
    key: `t${tracklet}f${frame}`,
    render: (height, width) => ({ height, width, data: new Uint8Array(height * width * 3).fill(10 * tracklet + frame) })
  },
  id,
  cam,
  tracklet,
  frame
})

const world = (ids: number, perId: number, frames: number): Array<Item> => {
  const items: Array<Item> = []
  let t = 0
  for (let id = 1; id <= ids; id++) {
    for (let k = 0; k < perId; k++, t++) for (let f = frames - 1; f >= 0; f--) items.push(item(id, k % 2, t, f))
  }
  return items
}

describe("frame sampling", () => {
  it("gives T indices in temporal order within the tracklet, for every strategy", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (length, frames, seed) => {
          for (const sampling of ["restrictedRandom", "random", "evenly", "first"] as const) {
            const xs = frameIndices(length, frames, sampling, RandomStream.fromSeed(seed))
            expect(xs).toHaveLength(frames)
            xs.forEach((x, i) => {
              expect(x).toBeGreaterThanOrEqual(0)
              expect(x).toBeLessThan(length)
              if (i > 0) expect(x).toBeGreaterThanOrEqual(xs[i - 1]!)
            })
            if (length >= frames && sampling !== "first" && sampling !== "evenly") expect(new Set(xs).size).toBe(frames)
          }
        }
      ),
      { numRuns: 50 }
    )
  })

  it("restricted random sampling takes one frame from each of the T equal chunks", () => {
    const rng = RandomStream.fromSeed(3)
    for (let r = 0; r < 20; r++) {
      const xs = frameIndices(12, 4, "restrictedRandom", rng)
      xs.forEach((x, i) => {
        expect(Math.floor(x / 3)).toBe(i)
      })
    }
    expect(frameIndices(10, 4, "evenly", rng)).toEqual([0, 2, 4, 6])
    expect(frameIndices(3, 5, "first", rng)).toEqual([0, 1, 2, 2, 2])
  })

  it("the student's positions are distinct positions of the teacher's clip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 99 }),
        (t, s, seed) => {
          const ps = studentPositions(t, s, RandomStream.fromSeed(seed))
          expect(ps).toHaveLength(s)
          ps.forEach((p) => {
            expect(p).toBeLessThan(t)
          })
          if (s <= t) expect(new Set(ps).size).toBe(s)
        }
      ),
      { numRuns: 30 }
    )
  })
})

describe("tracklets and PK batches of clips", () => {
  it("groups frames by tracklet in frame order and labels identities 0..K-1", () => {
    const ts = trackletsOf(world(3, 2, 4))
    expect(ts).toHaveLength(6)
    ts.forEach((t) => {
      expect(t.frames.map((f) => f.frame)).toEqual([0, 1, 2, 3])
    })
    const index = indexTracklets(ts)
    expect(index.classes).toBe(3)
    expect(Array.from(index.labels)).toEqual([0, 0, 1, 1, 2, 2])
  })

  it("a PK batch has P identities with K tracklets each (with replacement when an identity has fewer)", () => {
    const index = indexTracklets(trackletsOf(world(5, 2, 4)))
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 99 }),
        (p, k, seed) => {
          const picks = samplePK(index, p, k, RandomStream.fromSeed(seed))
          expect(picks).toHaveLength(p * k)
          const labels = picks.map((i) => index.labels[i]!)
          for (let g = 0; g < p; g++) expect(new Set(labels.slice(g * k, (g + 1) * k)).size).toBe(1)
          expect(new Set(labels).size).toBe(p)
        }
      ),
      { numRuns: 30 }
    )
  })

  it("the student's clip is cut from the teacher's clip (same frames, same flip), with the configured frame counts", () => {
    const index = indexTracklets(trackletsOf(world(4, 2, 6)))
    const loader = makeFrameLoader(2, 2)
    const frameSize = 2 * 2 * 3
    const batch = drawBatch(
      index,
      loader,
      { identities: 2, instances: 2, teacherFrames: 4, studentFrames: 2, sampling: "restrictedRandom", flip: 0.5 },
      RandomStream.fromSeed(1)
    )
    expect(batch.size).toBe(4)
    expect(batch.teacherPixels.length).toBe(4 * 4 * frameSize)
    expect(batch.studentPixels!.length).toBe(4 * 2 * frameSize)
    const firstValue = (px: Float32Array, clip: number, t: number, frames: number) =>
      px[(clip * frames + t) * frameSize]!
    for (let b = 0; b < 4; b++) {
      const teacher = Array.from({ length: 4 }, (_, t) => firstValue(batch.teacherPixels, b, t, 4))
      for (let s = 0; s < 2; s++) expect(teacher).toContain(firstValue(batch.studentPixels!, b, s, 2))
    }
    // same seed, same batch
    const again = drawBatch(
      index,
      makeFrameLoader(2, 2),
      { identities: 2, instances: 2, teacherFrames: 4, studentFrames: 2, sampling: "restrictedRandom", flip: 0.5 },
      RandomStream.fromSeed(1)
    )
    expect(Array.from(again.teacherPixels)).toEqual(Array.from(batch.teacherPixels))
  })

  it("flipping mirrors each row; pixels are ImageNet-normalised", () => {
    const asym: Item = {
      source: {
        _tag: "Rendered",
        key: "a",
        render: (h, w) => ({
          height: h,
          width: w,
          data: Uint8Array.from({ length: h * w * 3 }, (_, i) => (Math.floor(i / 3) % w === 0 ? 255 : 0))
        })
      },
      id: 1,
      cam: 0
    }
    const loader = makeFrameLoader(1, 2)
    const plain = new Float32Array(6)
    const flipped = new Float32Array(6)
    loader.write([asym], false, plain, 0)
    loader.write([asym], true, flipped, 0)
    expect(plain[0]).toBeCloseTo((1 - 0.485) / 0.229, 5)
    expect(plain[3]).toBeCloseTo((0 - 0.485) / 0.229, 5)
    expect(Array.from(flipped.slice(0, 3))).toEqual(Array.from(plain.slice(3, 6)))
    expect(loader.cached()).toBe(1)
  })
})
