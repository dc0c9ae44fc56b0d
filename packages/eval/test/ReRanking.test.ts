import { describe, expect, it } from "@effect/vitest"
import { Backend, RandomStream } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import { numpySum32, reRankDistances, reRankFeatures, roundHalfEven, topK } from "../src/ReRanking.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

const fr = Math.fround

/**
 * A literal, dense float32 port of the authors' re_ranking.py (zhunzhong07/person-re-ranking, as vendored by
 * open-reid and torchreid), with a stable argsort. O(N^2) memory: small inputs only.
 */
const denseReference = (
  qg: Float32Array,
  qq: Float32Array,
  gg: Float32Array,
  Q: number,
  G: number,
  k1 = 20,
  k2 = 6,
  lambda = 0.3
) => {
  const N = Q + G
  const original = new Float32Array(N * N)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const d =
        i < Q ? (j < Q ? qq[i * Q + j]! : qg[i * G + j - Q]!) : j < Q ? qg[j * G + i - Q]! : gg[(i - Q) * G + j - Q]!
      original[i * N + j] = fr(d * d)
    }
  }
  // original_dist / max(axis=0), then transpose
  const colMax = new Float32Array(N)
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) colMax[j] = Math.max(colMax[j]!, original[i * N + j]!)
  const dist = new Float32Array(N * N)
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) dist[j * N + i] = fr(original[i * N + j]! / colMax[j]!)
  const initialRank: Array<Array<number>> = []
  for (let i = 0; i < N; i++) {
    initialRank.push(
      Array.from({ length: N }, (_, j) => j).sort((a, b) => dist[i * N + a]! - dist[i * N + b]! || a - b)
    )
  }
  const V = new Float32Array(N * N)
  const recipOf = (i: number, k: number) => {
    const forward = initialRank[i]!.slice(0, k + 1)
    return forward.filter((f) => initialRank[f]!.slice(0, k + 1).includes(i))
  }
  const half = roundHalfEven(k1 / 2)
  for (let i = 0; i < N; i++) {
    const recip = recipOf(i, k1)
    let expansion = recip.slice()
    for (const c of recip) {
      const cand = recipOf(c, half)
      const inter = cand.filter((x) => recip.includes(x)).length
      if (inter > (2 / 3) * cand.length) expansion = expansion.concat(cand)
    }
    expansion = [...new Set(expansion)].sort((a, b) => a - b)
    const weight = expansion.map((e) => fr(Math.exp(-dist[i * N + e]!)))
    const sum = numpySum32(weight) // np.sum: float32 pairwise summation (checked against numpy below)
    expansion.forEach((e, t) => {
      V[i * N + e] = fr(weight[t]! / sum)
    })
  }
  let Vq = V
  if (k2 !== 1) {
    Vq = new Float32Array(N * N)
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0
        for (let a = 0; a < k2; a++) s = fr(s + V[initialRank[i]![a]! * N + j]!)
        Vq[i * N + j] = fr(s / k2)
      }
    }
  }
  const out = new Float32Array(Q * G)
  for (let i = 0; i < Q; i++) {
    const tempMin = new Float32Array(N)
    for (let j = 0; j < N; j++) {
      const vij = Vq[i * N + j]!
      if (vij === 0) continue
      for (let g = 0; g < N; g++) {
        const vgj = Vq[g * N + j]!
        if (vgj !== 0) tempMin[g] = fr(tempMin[g]! + Math.min(vij, vgj))
      }
    }
    for (let g = 0; g < G; g++) {
      const m = tempMin[Q + g]!
      const jaccard = fr(1 - fr(m / fr(2 - m)))
      out[i * G + g] = fr(fr(jaccard * fr(1 - lambda)) + fr(dist[i * N + Q + g]! * fr(lambda)))
    }
  }
  return out
}

const euclidean = (a: Float32Array, b: Float32Array, na: number, nb: number, dim: number) => {
  const out = new Float32Array(na * nb)
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0
      for (let k = 0; k < dim; k++) s += (a[i * dim + k]! - b[j * dim + k]!) ** 2
      out[i * nb + j] = Math.sqrt(s)
    }
  }
  return out
}

const randomFeatures = (rng: RandomStream, n: number, dim: number, ids: number) => {
  const centers = Array.from({ length: ids }, () => Array.from({ length: dim }, () => rng.normal()))
  const data = new Float32Array(n * dim)
  for (let i = 0; i < n; i++)
    for (let k = 0; k < dim; k++) data[i * dim + k] = centers[i % ids]![k]! + 0.7 * rng.normal()
  return data
}

describe("k-reciprocal re-ranking", () => {
  it("roundHalfEven is numpy's np.around", () => {
    expect([20, 21, 23, 1, 3, 5].map((k) => roundHalfEven(k / 2))).toEqual([10, 10, 12, 0, 2, 2])
  })

  it("numpySum32 is numpy's float32 np.sum (pairwise), not a sequential sum", () => {
    // values printed by numpy 2.4: a = np.array([1 / (i + 3) for i in range(n)], dtype=np.float32); np.sum(a)
    const a = (n: number) => Float32Array.from({ length: n }, (_, i) => 1 / (i + 3))
    expect(numpySum32(a(7))).toBe(1.3289684057235718)
    expect(numpySum32(a(20))).toBe(2.1908133029937744) // sequential float32: 2.1908135414123535
    expect(numpySum32(a(300))).toBe(4.789297580718994) // sequential float32: 4.789299011230469
  })

  it("topK is a stable partial argsort", () => {
    const idx = new Int32Array(3)
    const val = new Float32Array(3)
    topK([0.5, 0.1, 0.5, 0.1, 0.9], 3, idx, val)
    expect(Array.from(idx)).toEqual([1, 3, 0])
  })

  it("agrees exactly with a dense port of re_ranking.py on random inputs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 7 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, Q, G, k1, k2, lambda) => {
          const rng = RandomStream.fromSeed(seed)
          const dim = 4
          const q = randomFeatures(rng, Q, dim, 3)
          const g = randomFeatures(rng, G, dim, 3)
          const qg = euclidean(q, g, Q, G, dim)
          const qq = euclidean(q, q, Q, Q, dim)
          const gg = euclidean(g, g, G, G, dim)
          const k2e = Math.min(k2, Q + G)
          const expected = denseReference(qg, qq, gg, Q, G, Math.min(k1, Q + G - 1), k2e, lambda)
          const actual = reRankDistances(qg, qq, gg, Q, G, {
            k1: Math.min(k1, Q + G - 1),
            k2: k2e,
            lambda,
            blockRows: 3
          })
          expect(Array.from(actual)).toEqual(Array.from(expected))
        }
      ),
      { numRuns: 40 }
    )
  })

  it("the paper's defaults on 60 items: from features matches from distances, no leaks", () => {
    const rng = RandomStream.fromSeed(7)
    const Q = 12
    const G = 48
    const dim = 6
    const q = randomFeatures(rng, Q, dim, 8)
    const g = randomFeatures(rng, G, dim, 8)
    const expected = denseReference(
      euclidean(q, g, Q, G, dim),
      euclidean(q, q, Q, Q, dim),
      euclidean(g, g, G, G, dim),
      Q,
      G
    )
    const actual = noLeaks(() =>
      reRankFeatures({ data: q, rows: Q, dim }, { data: g, rows: G, dim }, { blockRows: 16 })
    )
    let worst = 0
    for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!))
    expect(worst).toBeLessThan(1e-4)
    for (const v of actual) expect(v).toBeGreaterThanOrEqual(0)
  })

  it("coinciding items give finite distances (the original divides 0 by 0)", () => {
    const all = noLeaks(() =>
      reRankFeatures(
        [[1, 1]],
        [
          [1, 1],
          [1, 1]
        ]
      )
    )
    expect(Array.from(all)).toEqual([0, 0])
    // one more distinct item: the coinciding pair stays at distance 0, every value is finite
    const some = reRankFeatures(
      [[1, 1]],
      [
        [1, 1],
        [1, 1],
        [3, 1]
      ],
      { k1: 2, k2: 1 }
    )
    expect(some.every(Number.isFinite)).toBe(true)
    expect([some[0], some[1]]).toEqual([0, 0])
  })

  it("rejects NaN distance matrices", () => {
    const one = Float32Array.from([0])
    expect(() => reRankDistances(Float32Array.from([Number.NaN]), one, one, 1, 1)).toThrow(
      expect.objectContaining({ _tag: "NonFiniteTensor" })
    )
  })

  it("rejects bad options", () => {
    expect(() => reRankFeatures([[1]], [[2]], { k1: 0 })).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
    expect(() => reRankFeatures([[1]], [[2]], { lambda: 2 })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" })
    )
  })
})
