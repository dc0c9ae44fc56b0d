/** PML's accuracy calculator measures: hand-computed cases, brute-force expected MI, agreement with mAP and NMI. */
import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import { accuracy, AccuracyCalculator, clusteringScores, evaluateRanking, MutualInformation } from "../src/index.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

const pts = (xs: ReadonlyArray<number>) => xs.map((x) => [x])

describe("kNN measures, same-set (self excluded), hand-computed", () => {
  // points 0, 1, 2, 10, 11, 30 with labels 0 0 1 1 1 0: R = 2 for every query, k = maxBinCount - 1 = 2
  const query = pts([0, 1, 2, 10, 11, 30])
  const queryLabels = [0, 0, 1, 1, 1, 0]
  it("k = maxBinCount: neighbours [L0 L1], [L0 L1], [L0 L0], [L1 L1], [L1 L1], [L1 L1]", () => {
    const r = accuracy(
      { query, queryLabels },
      { include: ["precisionAt1", "rPrecision", "mapAtR", "meanAveragePrecision", "meanReciprocalRank"] }
    )
    expect(r.precisionAt1).toBeCloseTo(4 / 6, 12)
    expect(r.rPrecision).toBeCloseTo(0.5, 12)
    expect(r.mapAtR).toBeCloseTo(0.5, 12)
    expect(r.meanAveragePrecision).toBeCloseTo(0.5, 12)
    expect(r.meanReciprocalRank).toBeCloseTo(4 / 6, 12)
  })
  it("k = all: AP over every reference (0.7, 0.7, 5/12, 1, 1, 0.325) and MRR (1, 1, 1/3, 1, 1, 1/4)", () => {
    const r = accuracy(
      { query, queryLabels },
      { k: "all", include: ["meanAveragePrecision", "meanReciprocalRank", "mapAtR"] }
    )
    expect(r.meanAveragePrecision).toBeCloseTo((0.7 + 0.7 + 5 / 12 + 1 + 1 + 0.325) / 6, 12)
    expect(r.meanReciprocalRank).toBeCloseTo((4 + 1 / 3 + 1 / 4) / 6, 12)
    expect(r.mapAtR).toBeCloseTo(0.5, 12) // MAP@R does not depend on k >= R
  })
  it("averageOfAverages: the mean over labels of per-label means", () => {
    // 0 1 2 3 10 11 with labels 0 0 1 1 1 1: nearest neighbours L0 L0 L0(tie, lower index) L1 L1 L1
    const r = accuracy(
      { query: pts([0, 1, 2, 3, 10, 11]), queryLabels: [0, 0, 1, 1, 1, 1] },
      { include: ["precisionAt1"] }
    )
    const a = accuracy(
      { query: pts([0, 1, 2, 3, 10, 11]), queryLabels: [0, 0, 1, 1, 1, 1] },
      { include: ["precisionAt1"], averageOfAverages: true }
    )
    expect(r.precisionAt1).toBeCloseTo(5 / 6, 12)
    expect(a.precisionAt1).toBeCloseTo((1 + 3 / 4) / 2, 12)
  })
})

describe("kNN measures, separate reference set", () => {
  it("lone queries (no reference of their label) are left out; none left gives NaN", () => {
    const r = accuracy(
      { query: pts([0, 5]), queryLabels: [0, 9], reference: pts([1, 2, 6]), referenceLabels: [0, 1, 1] },
      { include: ["precisionAt1", "rPrecision"] }
    )
    expect(r).toEqual({ precisionAt1: 1, rPrecision: 1 })
    const none = accuracy(
      { query: pts([0]), queryLabels: [9], reference: pts([1]), referenceLabels: [0] },
      { include: ["precisionAt1"] }
    )
    expect(none.precisionAt1).toBeNaN()
  })
  it("meanAveragePrecision with k = all is the mAP of evaluateRanking when no gallery item is junk (ids shifted off Market's distractor 0)", () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 3, maxLength: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })), {
          minLength: 4,
          maxLength: 10
        }),
        (qx, gallery) => {
          const ql = qx.map((_, i) => i % 3)
          const query = qx.map((x, i) => [x + 0.001 * i])
          const ref = gallery.map(([x], j) => [x + 0.0001 * j + 0.5])
          const rl = gallery.map(([, l]) => l)
          fc.pre(ql.every((l) => rl.includes(l)))
          const ours = accuracy(
            { query, queryLabels: ql, reference: ref, referenceLabels: rl },
            { k: "all", include: ["meanAveragePrecision", "precisionAt1"] }
          )
          const theirs = evaluateRanking(
            {
              query: { features: query, ids: ql.map((l) => l + 1), cams: ql.map(() => 0) },
              gallery: { features: ref, ids: rl.map((l) => l + 1), cams: rl.map(() => 1) }
            },
            { maxRank: 1 }
          )
          expect(ours.meanAveragePrecision).toBeCloseTo(theirs.mAP, 5)
          expect(ours.precisionAt1).toBeCloseTo(theirs.cmc[0]!, 5)
        }
      ),
      { numRuns: 40 }
    ))
  it("bad k is a typed error", () => {
    expect(() => accuracy({ query: pts([0, 1]), queryLabels: [0, 0] }, { k: 0 })).toThrow(/accuracy: k/)
    expect(() => accuracy({ query: pts([0, 1]), queryLabels: [0] })).toThrow(/query labels/)
  })
})

describe("mutual information", () => {
  const permutations = (xs: ReadonlyArray<number>): Array<Array<number>> =>
    xs.length <= 1
      ? [xs.slice()]
      : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]))
  it("expected MI is the mean MI over every permutation of one labeling (brute force)", () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
        (u, v0) => {
          const v = v0.slice(0, u.length)
          const perms = permutations(v)
          const brute = perms.reduce((s, p) => s + MutualInformation.mutualInfo(u, p), 0) / perms.length
          const { a, b, n } = MutualInformation.contingency(u, v)
          expect(MutualInformation.expectedMutualInfo(a, b, n)).toBeCloseTo(brute, 10)
        }
      ),
      { numRuns: 40 }
    ))
  it("AMI: 1 for the same partition under any renaming; a hand-computed value", () => {
    expect(MutualInformation.adjustedMutualInfo([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBeCloseTo(1, 12)
    expect(MutualInformation.adjustedMutualInfo([0, 0, 0], [1, 1, 1])).toBe(1)
    // u = [0 0 1 1] against a random labeling of sizes (2, 2): n_11 = 2 or 0 (probability 1/6 each, MI = ln 2), or 1 (MI = 0): E[MI] = ln2 / 3
    const emi = Math.log(2) / 3
    expect(MutualInformation.expectedMutualInfo([2, 2], [2, 2], 4)).toBeCloseTo(emi, 12)
    expect(MutualInformation.adjustedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(
      (0 - emi) / (Math.log(2) - emi),
      12
    )
  })
  it("NMI agrees with clusteringScores' NMI", () =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 2,
          maxLength: 20
        }),
        (pairs) => {
          const t = pairs.map(([x]) => x)
          const p = pairs.map(([, y]) => y)
          expect(MutualInformation.normalizedMutualInfo(t, p)).toBeCloseTo(clusteringScores(p, t).nmi, 10)
        }
      )
    ))
})

describe("clustering measures", () => {
  it("well separated identities: k-means recovers them (NMI = AMI = 1); same seed, same clusters", () => {
    const query = [
      [0, 0],
      [0.1, 0],
      [0, 0.1],
      [10, 10],
      [10.1, 10],
      [-10, 5],
      [-10, 5.2]
    ]
    const labels = [0, 0, 0, 1, 1, 2, 2]
    const r = accuracy({ query, queryLabels: labels }, { include: ["nmi", "ami"] })
    expect(r.nmi).toBeCloseTo(1, 12)
    expect(r.ami).toBeCloseTo(1, 12)
    const m = { data: Float32Array.from(query.flat()), rows: 7, dim: 2 }
    expect(AccuracyCalculator.kMeans(m, 3, { seed: 4 })).toEqual(AccuracyCalculator.kMeans(m, 3, { seed: 4 }))
  })
})
