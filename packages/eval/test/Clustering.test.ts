import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import { agglomerative, clusterEmbeddings, clusteringScores, thresholdClustering } from "../src/index.ts"
import { dendrogram } from "../src/Clustering.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

const line = (xs: Array<number>) => Float64Array.from(xs.flatMap((a) => xs.map((b) => Math.abs(a - b))))

describe("clustering", () => {
  const xs = [0, 1, 3, 10, 11]
  it("linkages give the textbook merge heights", () => {
    expect(dendrogram(line(xs), 5, "single").map((m) => m.height)).toEqual([1, 1, 2, 7])
    expect(dendrogram(line(xs), 5, "complete").map((m) => m.height)).toEqual([1, 1, 3, 11])
    // average: {0,1}=1, {10,11}=1, {0,1}+3 = (3+2)/2 = 2.5, last = mean of all 6 cross distances
    const avg = dendrogram(line(xs), 5, "average").map((m) => m.height)
    expect(avg.slice(0, 3)).toEqual([1, 1, 2.5])
    expect(avg[3]).toBeCloseTo((10 + 11 + 9 + 10 + 7 + 8) / 6, 12)
  })

  it("cuts by threshold (strict) or number of clusters; threshold clustering is inclusive", () => {
    expect(Array.from(agglomerative(line(xs), 5, { linkage: "single", threshold: 2 }))).toEqual([0, 0, 1, 2, 2])
    expect(Array.from(agglomerative(line(xs), 5, { linkage: "single", threshold: 2.01 }))).toEqual([0, 0, 0, 1, 1])
    expect(Array.from(agglomerative(line(xs), 5, { linkage: "complete", numClusters: 2 }))).toEqual([0, 0, 0, 1, 1])
    expect(Array.from(agglomerative(line(xs), 5, { numClusters: 5 }))).toEqual([0, 1, 2, 3, 4])
    expect(Array.from(thresholdClustering(line(xs), 5, 2))).toEqual([0, 0, 0, 1, 1])
    expect(() => agglomerative(line(xs), 5, { numClusters: 0 })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" })
    )
  })

  it("single linkage cut at t equals threshold clustering just below t (random points)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 20 }),
        (pts, t) => {
          const d = line(pts)
          expect(Array.from(agglomerative(d, pts.length, { linkage: "single", threshold: t }))).toEqual(
            Array.from(thresholdClustering(d, pts.length, t - 0.5))
          )
          for (const linkage of ["average", "complete"] as const) {
            const heights = dendrogram(d, pts.length, linkage).map((m) => m.height)
            for (let k = 1; k < heights.length; k++) expect(heights[k]).toBeGreaterThanOrEqual(heights[k - 1]!)
          }
        }
      ),
      { numRuns: 60 }
    )
  })

  it("scores: hand-made values (scikit-learn's conventions)", () => {
    const perfect = clusteringScores([1, 1, 2, 2], [7, 7, 9, 9])
    expect(perfect.nmi).toBeCloseTo(1, 12)
    expect(perfect.ari).toBeCloseTo(1, 12)
    expect(perfect.pairwiseF).toBe(1)
    // sklearn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714; nmi = 0.8
    const s = clusteringScores([0, 0, 1, 2], [0, 0, 1, 1])
    expect(s.ari).toBeCloseTo(0.5714285714285715, 12)
    expect(s.nmi).toBeCloseTo(0.8, 12)
    // pairs: predicted {01}, true {01, 23}: precision 1, recall 1/2
    expect(s.pairwisePrecision).toBe(1)
    expect(s.pairwiseRecall).toBe(0.5)
    expect(s.pairwiseF).toBeCloseTo(2 / 3, 12)
    const one = clusteringScores([0, 0, 0, 0], [0, 0, 1, 1])
    expect(one.nmi).toBe(0)
    expect(one.ari).toBe(0)
  })

  it("scores lie in their ranges and are invariant to renaming clusters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), {
          minLength: 1,
          maxLength: 30
        }),
        (pairs) => {
          const p = pairs.map((x) => x[0])
          const t = pairs.map((x) => x[1])
          const s = clusteringScores(p, t)
          const renamed = clusteringScores(
            p.map((x) => 100 - 3 * x),
            t
          )
          expect(renamed.nmi).toBeCloseTo(s.nmi, 12)
          expect(renamed.ari).toBeCloseTo(s.ari, 12)
          expect(s.nmi).toBeGreaterThanOrEqual(0)
          expect(s.nmi).toBeLessThanOrEqual(1)
          expect(s.ari).toBeLessThanOrEqual(1 + 1e-12)
          expect(s.pairwiseF).toBeGreaterThanOrEqual(0)
          expect(s.pairwiseF).toBeLessThanOrEqual(1)
          expect(clusteringScores(t, t).ari).toBeCloseTo(1, 12)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("clusterEmbeddings recovers well separated identities", () => {
    const features = [
      [1, 0],
      [0.99, 0.1],
      [0, 1],
      [0.1, 0.99],
      [-1, 0]
    ]
    const labels = clusterEmbeddings(features, { method: "agglomerative", linkage: "average", threshold: 0.1 })
    expect(Array.from(labels)).toEqual([0, 0, 1, 1, 2])
    expect(Array.from(clusterEmbeddings(features, { method: "threshold", threshold: 0.1 }))).toEqual([0, 0, 1, 1, 2])
  })
})
