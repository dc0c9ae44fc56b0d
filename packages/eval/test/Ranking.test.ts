import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import { distance } from "../src/Distances.ts"
import { evaluateRanking, evaluateRankingEffect, pairwiseDistances, rankingFromDistances } from "../src/index.ts"
import { referenceQuery, refOptions } from "./reference.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

const one = (row: Array<number>, gids: Array<number>, gcams: Array<number>, qid = 1, qcam = 0) => ({
  distances: Float32Array.from(row),
  query: { ids: [qid], cams: [qcam] },
  gallery: { ids: gids, cams: gcams }
})

describe("rankingFromDistances: hand-made cases", () => {
  it("same identity + same camera is junk; the match at rank 3", () => {
    const c = one([0.1, 0.2, 0.3, 0.05], [1, 2, 1, 3], [0, 1, 1, 1])
    const r = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 4 })
    expect(r.cmc).toEqual([0, 0, 1, 1])
    expect(r.mAP).toBeCloseTo(1 / 3, 12)
    expect(r.mINP).toBeCloseTo(1 / 3, 12)
    expect(r.perQuery.junk[0]).toBe(1)
    expect(r.perQuery.firstMatchRank[0]).toBe(2)
    // rank-5 does not depend on the CMC length
    const short = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 1 })
    expect([short.cmc, short.rank1, short.rank5]).toEqual([[0], 0, 1])
  })

  it("sameCameraJunk: false keeps the same-camera match", () => {
    const c = one([0.1, 0.2, 0.3, 0.05], [1, 2, 1, 3], [0, 1, 1, 1])
    const r = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 4, sameCameraJunk: false })
    // order: 3(neg) 0(pos) 1(neg) 2(pos) -> AP = (1/2 + 2/4)/2
    expect(r.mAP).toBeCloseTo(0.5, 12)
    expect(r.mINP).toBeCloseTo(2 / 4, 12)
    expect(r.cmc).toEqual([0, 1, 1, 1])
  })

  it("ties are broken toward the lower gallery index (non-interpolated and trapezoid AP)", () => {
    const c = one([0.5, 0.5, 0.5], [2, 1, 1], [1, 1, 1])
    const r = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 3 })
    expect(r.mAP).toBeCloseTo((1 / 2 + 2 / 3) / 2, 12)
    expect(r.mINP).toBeCloseTo(2 / 3, 12)
    expect(r.cmc).toEqual([0, 1, 1])
    const t = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 3, averagePrecision: "trapezoid" })
    expect(t.mAP).toBeCloseTo(((0 + 1 / 2) / 2 + (1 / 2 + 2 / 3) / 2) / 2, 12)
    // a tie where the positive comes first
    const d = one([0.5, 0.5], [1, 2], [1, 1])
    expect(rankingFromDistances(d.distances, d.query, d.gallery, { maxRank: 2 }).mAP).toBe(1)
  })

  it("float64 distances (plain arrays, Float64Array) are compared at their own precision", () => {
    // 0.1 is not a float32 value: rounding the positive's distance to float32 made the tied negative precede it
    const tie = rankingFromDistances([0.1, 0.1], { ids: [1], cams: [0] }, { ids: [1, 2], cams: [1, 1] }, { maxRank: 2 })
    expect([tie.mAP, tie.cmc]).toEqual([1, [1, 1]])
    // a negative 1e-11 farther than the positive comes after it
    const near = rankingFromDistances(
      Float64Array.from([0.3, 0.30000000001]),
      { ids: [1], cams: [0] },
      { ids: [1, 2], cams: [1, 1] },
      { maxRank: 2 }
    )
    expect(near.mAP).toBe(1)
    // and 1e-11 closer comes before it
    const before = rankingFromDistances(
      Float64Array.from([0.3, 0.29999999999]),
      { ids: [1], cams: [0] },
      { ids: [1, 2], cams: [1, 1] },
      { maxRank: 2 }
    )
    expect(before.mAP).toBe(0.5)
  })

  it("trapezoid AP of a positive at rank 1 uses precision 1 on the left", () => {
    const c = one([0.1, 0.2, 0.3], [1, 2, 1], [1, 1, 1])
    const t = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 3, averagePrecision: "trapezoid" })
    // ranks 0 and 2: (1+1)/2 + (1/2 + 2/3)/2, over 2
    expect(t.mAP).toBeCloseTo((1 + (1 / 2 + 2 / 3) / 2) / 2, 12)
  })

  it("identity-0 distractors are negatives and junk identities (-1) are removed", () => {
    const c = one([0.1, 0.2, 0.3], [0, -1, 1], [1, 1, 1])
    const r = rankingFromDistances(c.distances, c.query, c.gallery, { maxRank: 3 })
    expect(r.mAP).toBeCloseTo(1 / 2, 12) // 0 (neg), -1 (junk), 1 (pos at rank 2)
    expect(r.perQuery.junk[0]).toBe(1)
    const none = rankingFromDistances(c.distances, c.query, c.gallery, {
      maxRank: 3,
      junkIdentities: [],
      distractorIdentities: []
    })
    expect(none.mAP).toBeCloseTo(1 / 3, 12)
    // a query of the distractor identity has no match
    const d = one([0.1, 0.2, 0.3], [0, 1, 1], [1, 1, 1], 0)
    expect(() => rankingFromDistances(d.distances, d.query, d.gallery)).toThrow(/none of the 1 queries/)
  })

  it("all-junk queries are skipped and counted, or scored zero", () => {
    const distances = Float32Array.from([0.1, 0.2, 0.3, /* q2 */ 0.3, 0.2, 0.1])
    const query = { ids: [1, 2], cams: [0, 0] }
    const gallery = { ids: [1, 1, 2], cams: [0, 0, 1] } // query 0's matches are all same-camera
    const r = rankingFromDistances(distances, query, gallery, { maxRank: 3 })
    expect(r.numValidQueries).toBe(1)
    expect(r.skippedQueries).toEqual([0])
    expect(r.mAP).toBe(1)
    expect(Number.isNaN(r.perQuery.averagePrecision[0]!)).toBe(true)
    const z = rankingFromDistances(distances, query, gallery, { maxRank: 3, queriesWithoutMatch: "zero" })
    expect(z.mAP).toBe(0.5)
    expect(z.mINP).toBe(0.5)
    expect(z.cmc).toEqual([0.5, 0.5, 0.5])
    expect(z.perQuery.averagePrecision[0]).toBe(0)
  })

  it("a single-camera dataset (every positive is junk) fails with NoValidQuery", () => {
    const distances = Float32Array.from([0.1, 0.2, 0.3, 0.4])
    const run = () => rankingFromDistances(distances, { ids: [1, 2], cams: [3, 3] }, { ids: [1, 2], cams: [3, 3] })
    expect(run).toThrow(expect.objectContaining({ _tag: "NoValidQuery" }))
  })

  it("bad inputs get typed errors", () => {
    const d = Float32Array.from([0.1, 0.2])
    expect(() => rankingFromDistances(d, { ids: [1], cams: [0] }, { ids: [], cams: [] })).toThrow(
      expect.objectContaining({ _tag: "EmptySet" })
    )
    expect(() => rankingFromDistances(d, { ids: [1], cams: [0] }, { ids: [1, 2, 3], cams: [0, 0, 0] })).toThrow(
      expect.objectContaining({ _tag: "LengthMismatch" })
    )
    expect(() =>
      rankingFromDistances(Float32Array.from([Number.NaN, 1]), { ids: [1], cams: [0] }, { ids: [1, 2], cams: [1, 1] })
    ).toThrow(expect.objectContaining({ _tag: "NonFiniteTensor" }))
    expect(() =>
      rankingFromDistances(d, { ids: [1], cams: [0] }, { ids: [1, 2], cams: [1, 1] }, { maxRank: 0 })
    ).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
  })
})

describe("evaluateRanking from features", () => {
  it("computes distances with tfjs and leaks no tensor", () => {
    const q = [
      [0, 0],
      [10, 10]
    ]
    const g = [
      [0.1, 0],
      [10, 10.2],
      [5, 5],
      [0, 0.3]
    ]
    const r = noLeaks(() =>
      evaluateRanking(
        {
          query: { features: q, ids: [1, 2], cams: [0, 0] },
          gallery: { features: g, ids: [1, 2, 3, 1], cams: [1, 1, 1, 1] }
        },
        { maxRank: 4 }
      )
    )
    expect(r.mAP).toBe(1)
    expect(r.rank1).toBe(1)
    for (const metric of ["squaredEuclidean", "cosine"] as const) {
      expect(
        evaluateRanking(
          {
            query: { features: q, ids: [1, 2], cams: [0, 0] },
            gallery: { features: g, ids: [1, 2, 3, 1], cams: [1, 1, 1, 1] }
          },
          { metric }
        ).numValidQueries
      ).toBe(2)
    }
  })

  it("the metric option changes the ranking (euclidean vs cosine) and distances match a float64 reference", () => {
    const input = {
      query: { features: [[1, 0]], ids: [1], cams: [0] },
      gallery: {
        features: [
          [10, 0.5],
          [1, 0.9]
        ],
        ids: [1, 2],
        cams: [1, 1]
      }
    }
    expect(evaluateRanking(input).mAP).toBe(0.5)
    expect(evaluateRanking(input, { metric: "squaredEuclidean" }).mAP).toBe(0.5)
    expect(evaluateRanking(input, { metric: "cosine" }).mAP).toBe(1)
    const q = { data: Float32Array.from([1, 2, 3, -1, 0, 2]), rows: 2, dim: 3 }
    const g = { data: Float32Array.from([0, 1, 1, 2, 2, 2, -3, 1, 0.5]), rows: 3, dim: 3 }
    for (const metric of ["euclidean", "squaredEuclidean", "cosine"] as const) {
      const d = noLeaks(() => pairwiseDistances(q, g, { metric, blockElements: 3 }))
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++) {
          expect(d[i * 3 + j]).toBeCloseTo(
            distance(q.data.subarray(i * 3, i * 3 + 3), g.data.subarray(j * 3, j * 3 + 3), metric),
            5
          )
        }
    }
  })

  it("accepts tensors for features and labels (and does not dispose them)", () => {
    const q = tf.tensor2d([
      [0, 0],
      [10, 10]
    ])
    const g = tf.tensor2d([
      [0.1, 0],
      [10, 10.2],
      [5, 5]
    ])
    const ids = tf.tensor1d([1, 2], "int32")
    const r = noLeaks(() =>
      evaluateRanking({
        query: { features: q, ids, cams: [0, 0] },
        gallery: { features: g, ids: Int32Array.from([1, 2, 3]), cams: [1, 1, 1] }
      })
    )
    expect(r.mAP).toBe(1)
    expect(q.isDisposed).toBe(false)
    tf.dispose([q, g, ids])
  })

  it("rejects NaN features and mismatched lengths", () => {
    expect(() =>
      evaluateRanking({
        query: { features: [[Number.NaN]], ids: [1], cams: [0] },
        gallery: { features: [[1]], ids: [1], cams: [1] }
      })
    ).toThrow(expect.objectContaining({ _tag: "NonFiniteTensor" }))
    expect(() =>
      evaluateRanking({
        query: { features: [[1]], ids: [1, 2], cams: [0] },
        gallery: { features: [[1]], ids: [1], cams: [1] }
      })
    ).toThrow(expect.objectContaining({ _tag: "LengthMismatch" }))
  })
})

// random problems: Q queries, G gallery items, distances drawn from a small set (ties) or distinct
const problem = (distinct: boolean) =>
  fc
    .record({
      Q: fc.integer({ min: 1, max: 5 }),
      G: fc.integer({ min: 1, max: 14 }),
      seed: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 300, maxLength: 300 })
    })
    .map(({ Q, G, seed }) => {
      const at = (k: number) => seed[k % seed.length]!
      const distances = new Float32Array(Q * G)
      for (let k = 0; k < Q * G; k++)
        distances[k] = distinct ? ((k * 7919 + at(k) * 104729) % 100003) / 1000 + k * 1e-3 : at(k) % 4
      const qIds = Array.from({ length: Q }, (_, i) => (at(200 + i) % 4) + 1)
      const qCams = Array.from({ length: Q }, (_, i) => at(250 + i) % 2)
      const gIds = Array.from({ length: G }, (_, j) => (at(100 + j) % 6) - 1) // -1 junk, 0 distractor, 1..4
      const gCams = Array.from({ length: G }, (_, j) => at(150 + j) % 3)
      return { Q, G, distances, query: { ids: qIds, cams: qCams }, gallery: { ids: gIds, cams: gCams } }
    })

const evaluateOrNull = (p: ReturnType<typeof problem> extends fc.Arbitrary<infer T> ? T : never, options = {}) => {
  try {
    return rankingFromDistances(p.distances, p.query, p.gallery, { maxRank: 10, ...options })
  } catch (e) {
    if ((e as { _tag?: string })._tag === "NoValidQuery") return null
    throw e
  }
}

describe("rankingFromDistances: properties", () => {
  it("agrees with the full-sort reference (with ties, both AP variants, skip and zero)", () => {
    fc.assert(
      fc.property(problem(false), fc.boolean(), fc.boolean(), fc.boolean(), (p32, trapezoid, zero, float64) => {
        // float64: plain-array distances at values float32 cannot represent (0.1, 0.2, 0.3), with ties
        const p = float64 ? { ...p32, distances: Array.from(p32.distances, (v) => v * 0.1) } : p32
        const r = evaluateOrNull(p as typeof p32, {
          averagePrecision: trapezoid ? "trapezoid" : "nonInterpolated",
          queriesWithoutMatch: zero ? "zero" : "skip"
        })
        const refs = p.query.ids.map((qid, i) =>
          referenceQuery(
            p.distances.slice(i * p.G, (i + 1) * p.G),
            qid,
            p.query.cams[i]!,
            p.gallery.ids,
            p.gallery.cams,
            { ...refOptions, trapezoid, maxRank: 10 }
          )
        )
        const valid = refs.filter((x) => x !== null)
        if (valid.length === 0) {
          expect(r).toBeNull()
          return
        }
        const n = zero ? refs.length : valid.length
        expect(r!.numValidQueries).toBe(valid.length)
        expect(r!.mAP).toBeCloseTo(valid.reduce((s, x) => s + x.ap, 0) / n, 10)
        expect(r!.mINP).toBeCloseTo(valid.reduce((s, x) => s + x.inp, 0) / n, 10)
        for (let k = 0; k < 10; k++) expect(r!.cmc[k]).toBeCloseTo(valid.reduce((s, x) => s + x.cmc[k]!, 0) / n, 10)
      }),
      { numRuns: 200 }
    )
  })

  it("metrics lie in [0, 1] and CMC is non-decreasing in k", () => {
    fc.assert(
      fc.property(problem(false), (p) => {
        const r = evaluateOrNull(p)
        if (r === null) return
        for (const v of [r.mAP, r.mINP, ...r.cmc]) {
          expect(v).toBeGreaterThanOrEqual(0)
          expect(v).toBeLessThanOrEqual(1)
        }
        for (let k = 1; k < r.cmc.length; k++) expect(r.cmc[k]).toBeGreaterThanOrEqual(r.cmc[k - 1]!)
      }),
      { numRuns: 100 }
    )
  })

  it("a perfect ranking scores 1", () => {
    fc.assert(
      fc.property(problem(true), (p) => {
        // make every positive closer than every other item
        for (let i = 0; i < p.Q; i++) {
          for (let j = 0; j < p.G; j++) {
            if (p.gallery.ids[j] === p.query.ids[i]) p.distances[i * p.G + j] = p.distances[i * p.G + j]! / 1000
            else p.distances[i * p.G + j] = p.distances[i * p.G + j]! + 1000
          }
        }
        const r = evaluateOrNull(p)
        if (r === null) return
        expect(r.mAP).toBe(1)
        expect(r.mINP).toBe(1)
        expect(r.rank1).toBe(1)
      }),
      { numRuns: 100 }
    )
  })

  it("is invariant to permuting the gallery when there are no ties", () => {
    fc.assert(
      fc.property(problem(true), fc.integer({ min: 1, max: 1000 }), (p, shift) => {
        const r = evaluateOrNull(p)
        const perm = Array.from({ length: p.G }, (_, j) => j).sort(
          (a, b) => ((a * shift) % 17) - ((b * shift) % 17) || b - a
        )
        const distances = new Float32Array(p.Q * p.G)
        for (let i = 0; i < p.Q; i++)
          for (let j = 0; j < p.G; j++) distances[i * p.G + j] = p.distances[i * p.G + perm[j]!]!
        const gallery = { ids: perm.map((j) => p.gallery.ids[j]!), cams: perm.map((j) => p.gallery.cams[j]!) }
        const s = evaluateOrNull({ ...p, distances, gallery })
        if (r === null) {
          expect(s).toBeNull()
          return
        }
        expect(s!.mAP).toBeCloseTo(r.mAP, 12)
        expect(s!.mINP).toBeCloseTo(r.mINP, 12)
        expect(s!.cmc).toEqual(r.cmc)
      }),
      { numRuns: 100 }
    )
  })
})

describe("Effect variants", () => {
  it.effect("fail with the typed error in the error channel", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        evaluateRankingEffect({
          query: { features: [[1]], ids: [1], cams: [0] },
          gallery: { features: [[1]], ids: [1], cams: [0] }
        })
      )
      expect(error._tag).toBe("NoValidQuery")
      const ok = yield* evaluateRankingEffect({
        query: { features: [[1]], ids: [1], cams: [0] },
        gallery: { features: [[1]], ids: [1], cams: [1] }
      })
      expect(ok.mAP).toBe(1)
    })
  )
})
