import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { RgbImage } from "../src/Image.ts"
import * as ImageCache from "../src/pipeline/ImageCache.ts"
import * as Loader from "../src/Loader.ts"
import type { Item } from "../src/Item.ts"
import * as Synthetic from "../src/Synthetic.ts"
import * as Domain from "../src/synthetic/Domain.ts"

const H = 32
const W = 16
const render = (item: Item): RgbImage => {
  if (item.source._tag !== "Rendered") throw new Error("expected a rendered item")
  return item.source.render(H, W)
}

/** A colour histogram (4 bins per channel, 64 bins), L1-normalised. */
const histogram = (img: RgbImage): Float64Array => {
  const h = new Float64Array(64)
  for (let i = 0; i < img.data.length; i += 3)
    h[(img.data[i]! >> 6) * 16 + (img.data[i + 1]! >> 6) * 4 + (img.data[i + 2]! >> 6)]! += 1
  for (let i = 0; i < 64; i++) h[i]! /= img.data.length / 3
  return h
}

const world = (domain: Domain.PresetName, seed: number) =>
  Synthetic.makeSync({
    identities: 60,
    cameras: 3,
    imagesPerCamera: 3,
    height: H,
    width: W,
    seed,
    domain: Domain.presets[domain]
  })

/**
 * A colour-histogram nearest neighbour "fitted" on a domain: the 16 bins with the largest Fisher ratio
 * (between-identity over within-identity variance) on the domain's training identities, then rank-1 of
 * L1 nearest-neighbour retrieval on those bins.
 */
const fitBins = (train: ReadonlyArray<Item>): ReadonlyArray<number> => {
  const byId = new Map<number, Array<Float64Array>>()
  for (const item of train) {
    const list = byId.get(item.id) ?? []
    list.push(histogram(render(item)))
    byId.set(item.id, list)
  }
  const groups = [...byId.values()]
  const all = groups.flat()
  const score = Array.from({ length: 64 }, (_, b) => {
    const mean = all.reduce((a, h) => a + h[b]!, 0) / all.length
    let between = 0
    let within = 0
    for (const g of groups) {
      const m = g.reduce((a, h) => a + h[b]!, 0) / g.length
      between += g.length * (m - mean) ** 2
      for (const h of g) within += (h[b]! - m) ** 2
    }
    return between / (within + 1e-9)
  })
  return score
    .map((s, b) => [s, b] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 16)
    .map(([, b]) => b)
}

const rank1 = (query: ReadonlyArray<Item>, gallery: ReadonlyArray<Item>, bins: ReadonlyArray<number>): number => {
  const g = gallery.map((i) => ({ item: i, h: histogram(render(i)) }))
  let hits = 0
  for (const q of query) {
    const hq = histogram(render(q))
    let best = g[0]!
    let bestD = Number.POSITIVE_INFINITY
    for (const c of g) {
      if (c.item.id === q.id && c.item.cam === q.cam) continue
      let d = 0
      for (const b of bins) d += Math.abs(hq[b]! - c.h[b]!)
      if (d < bestD) {
        bestD = d
        best = c
      }
    }
    if (best.item.id === q.id) hits++
  }
  return hits / query.length
}

describe("Domain", () => {
  it("maps a colour into a palette as documented (hand-computed)", () => {
    expect(Domain.toHsv([255, 0, 0])).toEqual([0, 1, 1])
    expect(Domain.toHsv([0, 0, 255])[0]).toBeCloseTo(240, 9)
    // red (hue 0) into hue 20 +- 55: 20 + 110 * (0 / 360 - 1/2) = -35, i.e. 325 degrees; saturation capped at 1
    const p = new Domain.Palette({ hue: 20, spread: 110, saturation: 1.25, brightness: 0.5 })
    const [h, s, v] = Domain.toHsv(Domain.mapColour([255, 0, 0], p))
    expect(h).toBeCloseTo(325, 0)
    expect(s).toBeCloseTo(1, 6)
    expect(v).toBeCloseTo(0.5, 2)
    // a grey keeps its hue (none) and only changes brightness
    expect(Domain.mapColour([100, 100, 100], p)).toEqual([50, 50, 50])
  })

  it("resolves free parameters over a preset, and rejects an out-of-range one", () => {
    const d = Domain.resolve({ preset: "duke", light: { tint: 0.9 }, resolution: 0.5 })
    expect(d.light.tint).toBe(0.9)
    expect(d.light.gain).toBe(Domain.presets.duke.light.gain)
    expect(d.palette).toEqual(Domain.presets.duke.palette)
    expect(d.resolution).toBe(0.5)
    expect(Domain.resolve("market")).toBe(Domain.presets.market)
    expect(() => Domain.resolve({ preset: "market", resolution: 3 })).toThrow(/resolution/)
  })

  it("is deterministic by seed, and a world without a domain renders as before", () => {
    const a = world("duke", 5).dataset.train[7]!
    const b = world("duke", 5).dataset.train[7]!
    expect(render(a).data).toEqual(render(b).data)
    const plain = Synthetic.makeSync({ identities: 4, height: H, width: W, seed: 5 }).dataset.train[0]!
    const medium = Synthetic.makeSync({ identities: 4, height: H, width: W, seed: 5, domain: new Domain.Domain({}) })
      .dataset.train[0]!
    // the identity domain (default palette spread 360 centred at 180 is the identity hue map) changes nothing
    const d = render(plain).data
    const e = render(medium).data
    let diff = 0
    for (let i = 0; i < d.length; i++) diff = Math.max(diff, Math.abs(d[i]! - e[i]!))
    expect(diff).toBeLessThanOrEqual(2)
  })

  it("a light of desaturation 1 gives grey pixels; resolution draws smaller then upsamples", () => {
    const ir = Synthetic.makeSync({ identities: 4, height: H, width: W, seed: 2, domain: Domain.presets.infrared })
    const img = render(ir.dataset.train[0]!)
    for (let i = 0; i < img.data.length; i += 3) {
      expect(Math.abs(img.data[i]! - img.data[i + 1]!)).toBeLessThanOrEqual(1)
      expect(Math.abs(img.data[i + 1]! - img.data[i + 2]!)).toBeLessThanOrEqual(1)
    }
    expect(Domain.drawSize(Domain.presets.grid, 32, 16)).toEqual({ height: 13, width: 6 })
    expect([img.height, img.width]).toEqual([H, W])
  })

  it("domains differ measurably: a colour-histogram nearest neighbour fitted on one domain is worse on another", () => {
    const market = world("market", 11)
    const duke = world("duke", 13)
    const bins = fitBins(market.dataset.train)
    const own = rank1(market.dataset.query, market.dataset.gallery, bins)
    const other = rank1(duke.dataset.query, duke.dataset.gallery, bins)
    // and the other way round
    const binsDuke = fitBins(duke.dataset.train)
    const ownDuke = rank1(duke.dataset.query, duke.dataset.gallery, binsDuke)
    const otherDuke = rank1(market.dataset.query, market.dataset.gallery, binsDuke)
    expect(own - other).toBeGreaterThan(0.1)
    expect(ownDuke - otherDuke).toBeGreaterThan(0.1)
  })

  it("two worlds whose images share a key do not share cache entries", () => {
    const a = world("market", 11).dataset.train[0]!
    const b = world("duke", 11).dataset.train[0]!
    expect(a.source._tag === "Rendered" && b.source._tag === "Rendered" && a.source.key === b.source.key).toBe(true)
    const cache = ImageCache.make(1 << 24)
    const fromA = Effect.runSync(Loader.load(a, H, W, cache))
    const fromB = Effect.runSync(Loader.load(b, H, W, cache))
    expect(fromB.data).toEqual(render(b).data)
    expect(fromB.data).not.toEqual(fromA.data)
    // a copy of an item (as task splits make) shares its cache entry
    expect(Loader.cacheKey({ ...a, id: 7 }, H, W)).toBe(Loader.cacheKey(a, H, W))
  })
})
