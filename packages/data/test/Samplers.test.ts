import { RandomStream } from "@reidfx/tensor"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as CameraBalancedSampler from "../src/samplers/CameraBalancedSampler.ts"
import * as ClipSampler from "../src/samplers/ClipSampler.ts"
import * as EpisodicSampler from "../src/samplers/EpisodicSampler.ts"
import * as IdentityIndex from "../src/samplers/IdentityIndex.ts"
import * as PKSampler from "../src/samplers/PKSampler.ts"
import * as SequentialSampler from "../src/samplers/SequentialSampler.ts"
import { SamplerError } from "../src/errors.ts"

interface Unit {
  readonly id: number
  readonly cam: number
  readonly n: number
}

/** Arbitrary datasets: per identity, a number of items spread over cameras. */
const data = fc
  .array(fc.record({ count: fc.integer({ min: 1, max: 9 }), cams: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 2,
    maxLength: 25
  })
  .map((ids) => {
    const units: Array<Unit> = []
    let n = 0
    ids.forEach(({ count, cams }, id) => {
      for (let j = 0; j < count; j++) units.push({ id: id * 3 + 1, cam: j % cams, n: n++ })
    })
    return units
  })

const counts = (xs: ReadonlyArray<Unit>) => {
  const m = new Map<number, number>()
  for (const x of xs) m.set(x.id, (m.get(x.id) ?? 0) + 1)
  return m
}

describe("PKSampler", () => {
  it("a PK batch has exactly P identities with K items each, and items of those identities", () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (units, p, k, seed) => {
          const index = IdentityIndex.make(units)
          fc.pre(index.ids.length >= p)
          const batch = PKSampler.batch(index, RandomStream.fromSeed(seed), { p, k })
          const c = counts(batch)
          expect(batch.length).toBe(p * k)
          expect(c.size).toBe(p)
          for (const v of c.values()) expect(v).toBe(k)
          // no repeated item of an identity that has at least K items
          for (const id of c.keys()) {
            const mine = batch.filter((u) => u.id === id)
            if (index.byId.get(id)!.length >= k) expect(new Set(mine.map((u) => u.n)).size).toBe(k)
          }
        }
      ),
      { numRuns: 100 }
    )
  })

  it("an epoch is torchreid's: every batch P x K, no item repeated unless padded, count within the nominal length", () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (units, p, k, seed) => {
          const index = IdentityIndex.make(units)
          fc.pre(index.ids.length >= p)
          const batches = PKSampler.epoch(index, RandomStream.fromSeed(seed), { p, k })
          expect(batches.length).toBeLessThanOrEqual(PKSampler.batchesPerEpoch(index, { p, k }))
          expect(batches.length).toBeGreaterThanOrEqual(1)
          const seen = new Map<number, number>()
          for (const b of batches) {
            const c = counts(b)
            expect(c.size).toBe(p)
            for (const v of c.values()) expect(v).toBe(k)
            for (const u of b) seen.set(u.n, (seen.get(u.n) ?? 0) + 1)
          }
          for (const [n, times] of seen) if (index.byId.get(units[n]!.id)!.length >= k) expect(times).toBe(1)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("same seed, same batches; another seed, other batches", () => {
    const units = Array.from({ length: 200 }, (_, n) => ({ id: n % 20, cam: n % 3, n }))
    const index = IdentityIndex.make(units)
    const a = PKSampler.epoch(index, RandomStream.fromSeed(7), { p: 4, k: 4 })
    const b = PKSampler.epoch(index, RandomStream.fromSeed(7), { p: 4, k: 4 })
    const c = PKSampler.epoch(index, RandomStream.fromSeed(8), { p: 4, k: 4 })
    expect(a.map((x) => x.map((u) => u.n))).toEqual(b.map((x) => x.map((u) => u.n)))
    expect(a.map((x) => x.map((u) => u.n))).not.toEqual(c.map((x) => x.map((u) => u.n)))
    // 20 ids x 10 items, K = 4: L = 20 * 8 = 160 -> nominally 10 batches of 16. torchreid's loop stops when fewer
    // than P identities have chunks left: at most 3 identities x 2 chunks stay unused, so at least 9 batches.
    expect(PKSampler.batchesPerEpoch(index, { p: 4, k: 4 })).toBe(10)
    expect(a.length).toBeGreaterThanOrEqual(9)
    expect(a.length).toBeLessThanOrEqual(10)
  })

  it("too few identities is a SamplerError that says what to change", () => {
    const index = IdentityIndex.make([
      { id: 1, cam: 0 },
      { id: 2, cam: 0 }
    ])
    expect(() => PKSampler.batch(index, RandomStream.fromSeed(1), { p: 3, k: 2 })).toThrow(SamplerError)
    expect(() => PKSampler.batch(index, RandomStream.fromSeed(1), { p: 3, k: 2 })).toThrow(/at least P = 3 identities/)
  })
})

describe("CameraBalancedSampler", () => {
  it("P identities x K items, spread over cameras as evenly as the data allows", () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (units, p, k, seed) => {
          const index = IdentityIndex.make(units)
          fc.pre(index.ids.length >= p)
          const batch = CameraBalancedSampler.batch(index, RandomStream.fromSeed(seed), { p, k })
          const c = counts(batch)
          expect(c.size).toBe(p)
          for (const [id, v] of c) {
            expect(v).toBe(k)
            const perCam = new Map<number, number>()
            for (const u of batch.filter((x) => x.id === id)) perCam.set(u.cam, (perCam.get(u.cam) ?? 0) + 1)
            const camsAvailable = index.byIdCam.get(id)!.size
            expect(perCam.size).toBe(Math.min(camsAvailable, k))
            const vals = [...perCam.values()]
            expect(Math.max(...vals) - Math.min(...vals)).toBeLessThanOrEqual(1)
          }
          // identities with several cameras are preferred
          const multi = index.ids.filter((id) => index.byIdCam.get(id)!.size >= 2)
          const chosenMulti = [...c.keys()].filter((id) => index.byIdCam.get(id)!.size >= 2).length
          expect(chosenMulti).toBe(Math.min(p, multi.length))
        }
      ),
      { numRuns: 100 }
    )
  })
})

describe("EpisodicSampler", () => {
  it("N ways, K shots + Q queries per class, class-major layout, disjoint support and query items", () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (units, ways, shots, queries, seed) => {
          const index = IdentityIndex.make(units)
          fc.pre(EpisodicSampler.eligible(index, { ways, shots, queries }).length >= ways)
          const ep = EpisodicSampler.episode(index, RandomStream.fromSeed(seed), { ways, shots, queries })
          expect(ep.entries.length).toBe(ways * (shots + queries))
          expect(new Set(ep.classes).size).toBe(ways)
          const support = ep.entries.slice(0, ways * shots)
          const query = ep.entries.slice(ways * shots)
          support.forEach((u, i) => {
            expect(u.id).toBe(ep.classes[Math.floor(i / shots)])
          })
          query.forEach((u, i) => {
            expect(u.id).toBe(ep.classes[Math.floor(i / queries)])
          })
          const s = new Set(support.map((u) => u.n))
          expect(s.size).toBe(support.length)
          for (const u of query) expect(s.has(u.n)).toBe(false)
          expect(new Set(query.map((u) => u.n)).size).toBe(query.length)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("fails with a SamplerError when too few identities have enough items", () => {
    const index = IdentityIndex.make(Array.from({ length: 12 }, (_, n) => ({ id: n % 3, cam: 0 })))
    expect(() => EpisodicSampler.episode(index, RandomStream.fromSeed(0), { ways: 4, shots: 2, queries: 2 })).toThrow(
      /only 3 have/
    )
    expect(() => EpisodicSampler.episode(index, RandomStream.fromSeed(0), { ways: 3, shots: 3, queries: 2 })).toThrow(
      SamplerError
    )
  })
})

describe("ClipSampler", () => {
  it("evenly spaced frames follow torchreid (n' = n - n mod T, step n'/T) and pad short tracklets with the last frame", () => {
    expect(ClipSampler.indices(10, 4, "evenly")).toEqual([0, 2, 4, 6])
    expect(ClipSampler.indices(8, 4, "evenly")).toEqual([0, 2, 4, 6])
    expect(ClipSampler.indices(3, 5, "evenly")).toEqual([0, 1, 2, 2, 2])
    expect(ClipSampler.indices(6, 4, "first")).toEqual([0, 1, 2, 3])
    expect(ClipSampler.indices(2, 4, "first")).toEqual([0, 1, 1, 1])
    expect(ClipSampler.indices(5, 2, "all")).toEqual([0, 1, 2, 3, 4])
  })

  it("random clips are sorted, in range, distinct when the tracklet is long enough, and seeded", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer(), (n, t, seed) => {
        const a = ClipSampler.indices(n, t, "random", RandomStream.fromSeed(seed))
        expect(a).toEqual(ClipSampler.indices(n, t, "random", RandomStream.fromSeed(seed)))
        expect(a.length).toBe(t)
        for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThanOrEqual(a[i - 1]!)
        for (const i of a) expect(i >= 0 && i < n).toBe(true)
        if (n >= t) expect(new Set(a).size).toBe(t)
      }),
      { numRuns: 100 }
    )
  })
})

describe("SequentialSampler", () => {
  it("covers every unit once, in order, with batches of at most batchSize", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 10 }), (xs, size) => {
        const bs = SequentialSampler.batches(xs, size)
        expect(bs.flat()).toEqual(xs)
        for (const b of bs) expect(b.length).toBeLessThanOrEqual(size)
        expect(bs.length).toBe(Math.ceil(xs.length / size))
      })
    )
  })
})
