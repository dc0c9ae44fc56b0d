import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { singleGalleryShotCmc } from "../src/index.ts"

describe("singleGalleryShotCmc", () => {
  it("exact expectation on a hand-made case", () => {
    // sorted: id2 (0.1), id1 x (0.2), id2 (0.3), id3 (0.4), id1 y (0.5); same-camera item ignored
    const distances = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.0])
    const gallery = { ids: [2, 1, 2, 3, 1, 3], cams: [1, 1, 1, 1, 1, 0] }
    const r = singleGalleryShotCmc(distances, { ids: [1], cams: [0] }, gallery, { maxRank: 3 })
    expect(r.cmc[0]).toBeCloseTo(0.25, 12)
    expect(r.cmc[1]).toBeCloseTo(0.5, 12)
    expect(r.cmc[2]).toBeCloseTo(1, 12)
    // without the separate camera set, the same-camera id-3 item (distance 0) joins identity 3's draw
    const s = singleGalleryShotCmc(distances, { ids: [1], cams: [0] }, gallery, {
      maxRank: 3,
      separateCameraSet: false
    })
    // x: pi2 = 1/2, pi3 = 1/2 (the cam-0 item precedes) -> P(R=0) = 1/4, P(R<=1) = 3/4; y: R = 2
    expect(s.cmc[0]).toBeCloseTo(1 / 8, 12)
    expect(s.cmc[1]).toBeCloseTo(3 / 8, 12)
    expect(s.cmc[2]).toBeCloseTo(1, 12)
  })

  it("skips queries without a valid match and fails when none has one", () => {
    const distances = Float32Array.from([0.1, 0.2, 0.1, 0.2])
    const r = singleGalleryShotCmc(
      distances,
      { ids: [1, 5], cams: [0, 0] },
      { ids: [1, 2], cams: [1, 1] },
      { maxRank: 2 }
    )
    expect(r.numValidQueries).toBe(1)
    expect(r.skippedQueries).toEqual([1])
    expect(() => singleGalleryShotCmc(distances, { ids: [1, 5], cams: [1, 1] }, { ids: [1, 2], cams: [1, 1] })).toThrow(
      expect.objectContaining({ _tag: "NoValidQuery" })
    )
  })

  it("rejects NaN or infinite distances with a typed error (never a silent result)", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        singleGalleryShotCmc([bad, 0.2], { ids: [1], cams: [0] }, { ids: [1, 2], cams: [1, 1] }, { maxRank: 2 })
      ).toThrow(expect.objectContaining({ _tag: "NonFiniteTensor" }))
    }
  })

  const world = fc
    .record({
      Q: fc.integer({ min: 1, max: 3 }),
      G: fc.integer({ min: 2, max: 9 }),
      values: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 60, maxLength: 60 })
    })
    .map(({ Q, G, values }) => {
      const v = (k: number) => values[k % values.length]!
      return {
        distances: Float32Array.from({ length: Q * G }, (_, k) => (v(k) * 13 + k) % 7), // ties included
        query: {
          ids: Array.from({ length: Q }, (_, i) => 1 + (v(40 + i) % 3)),
          cams: Array.from({ length: Q }, () => 0)
        },
        gallery: {
          ids: Array.from({ length: G }, (_, j) => (v(20 + j) % 4) + (v(30 + j) === 6 ? -1 : 0)),
          cams: Array.from({ length: G }, (_, j) => v(50 + j) % 2)
        }
      }
    })

  /** Average rank-k over every possible one-per-identity draw (explicit enumeration). */
  const bruteForce = (
    w: {
      distances: Float32Array
      query: { ids: Array<number>; cams: Array<number> }
      gallery: { ids: Array<number>; cams: Array<number> }
    },
    maxRank: number
  ) => {
    const G = w.gallery.ids.length
    const total = new Array(maxRank).fill(0)
    let valid = 0
    w.query.ids.forEach((qid, i) => {
      const row = w.distances.subarray(i * G, (i + 1) * G)
      const items = Array.from({ length: G }, (_, j) => j).filter(
        (j) => w.gallery.ids[j] !== -1 && w.gallery.cams[j] !== w.query.cams[i]
      )
      const groups = new Map<number, Array<number>>()
      for (const j of items) {
        const key = w.gallery.ids[j] === 0 ? -1000 - j : w.gallery.ids[j]!
        groups.set(key, [...(groups.get(key) ?? []), j])
      }
      if (!groups.has(qid)) return
      valid++
      const lists = [...groups.values()]
      let draws = 0
      const acc = new Array(maxRank).fill(0)
      const rec = (g: number, picked: Array<number>) => {
        if (g === lists.length) {
          draws++
          const sorted = picked.slice().sort((a, b) => row[a]! - row[b]! || a - b)
          const rank = sorted.findIndex((j) => w.gallery.ids[j] === qid)
          for (let k = rank; k < maxRank; k++) acc[k]++
          return
        }
        for (const j of lists[g]!) rec(g + 1, [...picked, j])
      }
      rec(0, [])
      for (let k = 0; k < maxRank; k++) total[k] += acc[k] / draws
    })
    return valid === 0 ? null : total.map((t) => t / valid)
  }

  it("exact mode equals the average over every possible draw", () => {
    fc.assert(
      fc.property(world, (w) => {
        const expected = bruteForce(w, 5)
        if (expected === null) return
        const r = singleGalleryShotCmc(w.distances, w.query, w.gallery, { maxRank: 5 })
        r.cmc.forEach((c, k) => {
          expect(c).toBeCloseTo(expected[k]!, 10)
        })
      }),
      { numRuns: 60 }
    )
  })

  it("sampled mode converges to the exact mode and is reproducible from its seed", () => {
    const G = 40
    const distances = Float32Array.from({ length: 3 * G }, (_, k) => ((k * 7919) % 101) / 101)
    const query = { ids: [1, 2, 3], cams: [0, 0, 0] }
    const gallery = {
      ids: Array.from({ length: G }, (_, j) => 1 + (j % 8)),
      cams: Array.from({ length: G }, (_, j) => (j % 3 === 0 ? 0 : 1))
    }
    const exact = singleGalleryShotCmc(distances, query, gallery, { maxRank: 8 })
    const sampled = singleGalleryShotCmc(distances, query, gallery, {
      maxRank: 8,
      mode: "sampled",
      repeats: 4000,
      seed: 3
    })
    for (let k = 0; k < 8; k++) expect(Math.abs(sampled.cmc[k]! - exact.cmc[k]!)).toBeLessThan(0.03)
    const again = singleGalleryShotCmc(distances, query, gallery, {
      maxRank: 8,
      mode: "sampled",
      repeats: 4000,
      seed: 3
    })
    expect(again.cmc).toEqual(sampled.cmc)
    const few = singleGalleryShotCmc(distances, query, gallery, { maxRank: 8, mode: "sampled", repeats: 5, seed: 3 })
    expect(few.cmc).not.toEqual(exact.cmc)
  })
})
