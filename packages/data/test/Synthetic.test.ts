import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Dataset from "../src/Dataset.ts"
import type { RgbImage } from "../src/Image.ts"
import type { Item } from "../src/Item.ts"
import * as Synthetic from "../src/Synthetic.ts"

const render = (item: Item, h = 64, w = 32): RgbImage => {
  if (item.source._tag !== "Rendered") throw new Error("expected a rendered item")
  return item.source.render(h, w)
}

/** A colour histogram (4 bins per channel, 64 bins), L1-normalised: a weak hand-made ReID feature. */
const histogram = (img: RgbImage): Float64Array => {
  const h = new Float64Array(64)
  for (let i = 0; i < img.data.length; i += 3)
    h[(img.data[i]! >> 6) * 16 + (img.data[i + 1]! >> 6) * 4 + (img.data[i + 2]! >> 6)]! += 1
  const n = img.data.length / 3
  for (let i = 0; i < 64; i++) h[i]! /= n
  return h
}
const l1 = (a: Float64Array, b: Float64Array) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!)
  return s
}

describe("Synthetic world", () => {
  it("has the documented splits: disjoint train / test identities, one query per (test identity, camera)", () => {
    const world = Synthetic.makeSync({ identities: 20, cameras: 4, imagesPerCamera: 3, height: 32, width: 16 })
    const { train, query, gallery } = world.dataset
    expect(Dataset.identities(train)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    expect(Dataset.identities(query)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11))
    expect(train.length).toBe(10 * 3 * 3)
    expect(query.length).toBe(10 * 3)
    expect(gallery.length).toBe(10 * 3 * 2)
    // every query has a cross-camera match in the gallery
    for (const q of query) expect(gallery.some((g) => g.id === q.id && g.cam !== q.cam)).toBe(true)
    // query and gallery items are different images
    const keys = new Set(gallery.map((g) => (g.source._tag === "Rendered" ? g.source.key : "")))
    for (const q of query) expect(keys.has(q.source._tag === "Rendered" ? q.source.key : "")).toBe(false)
  })

  it("is deterministic by seed and random-access: an item renders the same alone, in any order, at any time", () => {
    const a = Synthetic.makeSync({ seed: 3, identities: 6, height: 32, width: 16 })
    const b = Synthetic.makeSync({ seed: 3, identities: 6, height: 32, width: 16 })
    const c = Synthetic.makeSync({ seed: 4, identities: 6, height: 32, width: 16 })
    const items = a.dataset.train
    const forward = items.map((i) => render(i).data)
    const backward = [...b.dataset.train]
      .reverse()
      .map((i) => render(i).data)
      .reverse()
    expect(forward).toEqual(backward)
    expect(render(items[5]!).data).toEqual(forward[5])
    expect(render(c.dataset.train[0]!).data).not.toEqual(forward[0])
  })

  it("renders at any size, and the images differ between items", () => {
    const world = Synthetic.makeSync({ identities: 4, kind: "vehicle" })
    const item = world.dataset.train[0]!
    const big = render(item, 128, 64)
    expect(big.data.length).toBe(128 * 64 * 3)
    expect(render(item, 64, 32).data.length).toBe(64 * 32 * 3)
    expect(render(world.dataset.train[1]!, 128, 64).data).not.toEqual(big.data)
  })

  it("video mode: tracklets of frames with motion (consecutive frames differ, the identity is the same)", () => {
    const world = Synthetic.makeSync({
      identities: 6,
      tracklets: { perCamera: 2, frames: 6, minFrames: 4 },
      height: 64,
      width: 32
    })
    const ds = world.dataset
    expect(ds.kind).toBe("video")
    const tracks = Dataset.tracklets(ds.train)
    expect(tracks.length).toBe(3 * 3 * 2)
    for (const t of tracks) {
      expect(t.frames.length).toBeGreaterThanOrEqual(4)
      expect(t.frames.length).toBeLessThanOrEqual(6)
      expect(t.frames.map((f) => f.frame)).toEqual(t.frames.map((_, i) => i))
      expect(new Set(t.frames.map((f) => f.id)).size).toBe(1)
    }
    const t0 = tracks[0]!
    const f0 = render(t0.frames[0]!).data
    const f1 = render(t0.frames[1]!).data
    let diff = 0
    for (let i = 0; i < f0.length; i++) diff += Math.abs(f0[i]! - f1[i]!)
    expect(diff / f0.length).toBeGreaterThan(2)
    // MARS-style splits: a query tracklet per (test identity, camera), the other tracklets in the gallery
    const q = Dataset.tracklets(ds.query)
    const g = Dataset.tracklets(ds.gallery)
    expect(q.length).toBe(3 * 3)
    expect(g.length).toBe(3 * 3)
  })

  it("cross-camera matching is harder than same-camera matching (colour-histogram nearest neighbour)", () => {
    const world = Synthetic.makeSync({
      seed: 1,
      identities: 60,
      trainIdentities: 0,
      cameras: 4,
      imagesPerCamera: 3,
      height: 64,
      width: 32
    })
    const all = [...world.dataset.query, ...world.dataset.gallery].map((item) => ({ item, f: histogram(render(item)) }))
    let same = 0
    let cross = 0
    let nSame = 0
    let nCross = 0
    for (const q of all) {
      if (q.item.source._tag !== "Rendered" || !q.item.source.key.endsWith("000000_00")) continue
      const others = all.filter((g) => g !== q)
      const best = (pool: typeof others) => pool.reduce((a, b) => (l1(q.f, b.f) < l1(q.f, a.f) ? b : a))
      // same camera: gallery of this camera only; cross camera: gallery of the other cameras only
      const sameCam = others.filter((g) => g.item.cam === q.item.cam)
      const otherCam = others.filter((g) => g.item.cam !== q.item.cam)
      if (sameCam.some((g) => g.item.id === q.item.id)) {
        nSame++
        if (best(sameCam).item.id === q.item.id) same++
      }
      nCross++
      if (best(otherCam).item.id === q.item.id) cross++
    }
    const sameRank1 = same / nSame
    const crossRank1 = cross / nCross
    // chance is about 1/60; a hand-made feature must be well above it and clearly better within a camera
    expect(crossRank1).toBeGreaterThan(0.05)
    expect(sameRank1).toBeGreaterThan(crossRank1 + 0.15)
  })

  it("the trivial preset makes cross-camera matching easy, the hard preset makes it harder", () => {
    const rank1 = (difficulty: Synthetic.Difficulty) => {
      const world = Synthetic.makeSync({
        seed: 2,
        identities: 40,
        trainIdentities: 0,
        cameras: 3,
        camerasPerIdentity: 3,
        imagesPerCamera: 2,
        height: 64,
        width: 32,
        difficulty
      })
      const q = world.dataset.query.map((item) => ({ item, f: histogram(render(item)) }))
      const g = world.dataset.gallery.map((item) => ({ item, f: histogram(render(item)) }))
      let hits = 0
      for (const x of q) {
        const pool = g.filter((y) => y.item.cam !== x.item.cam)
        const best = pool.reduce((a, b) => (l1(x.f, b.f) < l1(x.f, a.f) ? b : a))
        if (best.item.id === x.item.id) hits++
      }
      return hits / q.length
    }
    const trivial = rank1(Synthetic.presets.trivial)
    const hard = rank1(Synthetic.presets.hard)
    expect(trivial).toBeGreaterThan(0.9)
    expect(hard).toBeLessThan(trivial - 0.3)
  })

  it("bad options are an InvalidOption naming the problem", () => {
    const exit = Effect.runSyncExit(Synthetic.make({ identities: 1 }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(exit)).toMatch(/InvalidOption/)
    const exit2 = Effect.runSyncExit(Synthetic.make({ identities: 10, trainIdentities: 11 }))
    expect(String(exit2)).toMatch(/trainIdentities \(11\) exceeds identities \(10\)/)
  })
})
