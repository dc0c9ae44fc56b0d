import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Assignment, buildTracklets, type Detection, iou, track, trackingScores } from "../src/index.ts"

const permutations = (items: ReadonlyArray<number>): Array<Array<number>> =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]))

/** Brute force: the best total over matchings of min(rows, cols) pairs; forbidden pairs end the matching there. */
const bruteBest = (cost: Array<number>, rows: number, cols: number): number => {
  let best = Number.POSITIVE_INFINITY
  const big = rows <= cols
  for (const perm of permutations(Array.from({ length: Math.max(rows, cols) }, (_, i) => i))) {
    let total = 0
    for (let k = 0; k < Math.min(rows, cols); k++) {
      const [i, j] = big ? [k, perm[k]!] : [perm[k]!, k]
      if (i >= rows || j >= cols) continue
      total += cost[i * cols + j]!
    }
    best = Math.min(best, total)
  }
  return best
}

describe("assignment", () => {
  it("hungarian reaches the brute-force optimum (rectangular, both orientations)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 16, maxLength: 16 }),
        (r, c, flat) => {
          const cost = flat.slice(0, r * c)
          const a = Assignment.hungarian(cost, r, c)
          const used = [...a].filter((j) => j >= 0)
          expect(new Set(used).size).toBe(used.length)
          expect(used.length).toBe(Math.min(r, c))
          const total = [...a].reduce((s, j, i) => (j >= 0 ? s + cost[i * c + j]! : s), 0)
          expect(total).toBe(bruteBest(cost, r, c))
        }
      ),
      { numRuns: 80 }
    )
  })

  it("forbidden pairs stay unmatched; greedy takes the cheapest first (and can be worse)", () => {
    const inf = Number.POSITIVE_INFINITY
    expect(Array.from(Assignment.hungarian([1, inf, inf, inf], 2, 2))).toEqual([0, -1])
    // greedy takes (0, 0) = 1 then (1, 1) = 10: 11; optimal (0, 1) + (1, 0) = 2 + 2 = 4
    const cost = [1, 2, 2, 10]
    expect(Array.from(Assignment.greedy(cost, 2, 2))).toEqual([0, 1])
    expect(Array.from(Assignment.hungarian(cost, 2, 2))).toEqual([1, 0])
  })
})

describe("tracklets and tracking metrics", () => {
  it("iou by hand", () => {
    expect(iou([0, 0, 2, 2], [1, 1, 2, 2])).toBeCloseTo(1 / 7, 12)
    expect(iou([0, 0, 1, 1], [2, 2, 1, 1])).toBe(0)
  })

  it("trackingScores by hand: IDF1 from the best one-to-one matching, ID switches, purity", () => {
    // truth A A A A B B; predicted 1 1 2 2 2 2 in frames 0..3 (A) and 0..1 (B)
    const truth = [0, 0, 0, 0, 1, 1]
    const predicted = [1, 1, 2, 2, 2, 2]
    const frames = [0, 1, 2, 3, 0, 1]
    const s = trackingScores(predicted, truth, frames)
    // shared: A-1 2, A-2 2, B-2 2 -> best matching A-1 (2) + B-2 (2) = 4 of 6
    expect(s.idtp).toBe(4)
    expect(s.idf1).toBeCloseTo(4 / 6, 12)
    expect(s.idSwitches).toBe(1) // A: 1 -> 2
    expect(s.purity).toBeCloseTo((2 + 2) / 6, 12) // group 1: 2 of A; group 2: 2 of A or 2 of B
  })

  /** Two people walking towards each other in camera 0 (crossing at frame 5), then both seen in camera 1. */
  const scene = (): { detections: Array<Detection>; truth: Array<number> } => {
    const looks = [
      [1, 0, 0, 0.1],
      [0, 1, 0.1, 0]
    ]
    const detections: Array<Detection> = []
    const truth: Array<number> = []
    for (let f = 0; f < 10; f++) {
      detections.push({
        frame: f,
        camera: 0,
        box: [10 * f, 0, 20, 50],
        feature: looks[0]!.map((v, k) => v + 0.02 * Math.sin(f + k))
      })
      truth.push(0)
      detections.push({
        frame: f,
        camera: 0,
        box: [95 - 10 * f, 0, 20, 50],
        feature: looks[1]!.map((v, k) => v + 0.02 * Math.cos(f + k))
      })
      truth.push(1)
    }
    for (let f = 20; f < 25; f++) {
      for (const p of [0, 1]) {
        detections.push({
          frame: f,
          camera: 1,
          box: [5 * f + 60 * p, 10, 20, 50],
          feature: looks[p]!.map((v, k) => v + 0.03 * Math.sin(3 * f + k + p))
        })
        truth.push(p)
      }
    }
    return { detections, truth }
  }

  it("appearance keeps two crossing people apart; motion alone swaps them at the crossing", () => {
    const { detections, truth } = scene()
    const cam0 = detections.filter((d) => d.camera === 0)
    const t0 = truth.slice(0, cam0.length)
    const frames = cam0.map((d) => d.frame)
    const withAppearance = trackingScores(buildTracklets(cam0), t0, frames)
    expect(withAppearance).toMatchObject({ idf1: 1, idSwitches: 0 })
    // motion only (last box, no velocity): at frame 5 each track overlaps the other person more (IoU 0.6 vs 0.33): a swap
    const motionOnly = buildTracklets(cam0, { appearanceWeight: 0, iouWeight: 1, maxAppearance: 2, minIou: 0 })
    const m = trackingScores(motionOnly, t0, frames)
    expect(m.idf1).toBeLessThan(1)
    expect(m.idSwitches).toBeGreaterThan(0)
  })

  it("links tracklets across cameras into identities (IDF1 1 on the scene); same-camera concurrent tracklets stay apart", () => {
    const { detections, truth } = scene()
    const result = track(detections, { threshold: 0.3 })
    expect(new Set(result.tracklets).size).toBe(4)
    const s = trackingScores(
      result.identities,
      truth,
      detections.map((d) => d.frame),
      detections.map((d) => d.camera)
    )
    expect(s.idf1).toBe(1)
    // an absurd threshold would merge everything, but concurrent tracklets of camera 0 cannot merge
    const loose = track(detections, { threshold: 10 })
    expect(new Set(loose.identities).size).toBeGreaterThanOrEqual(2)
  })
})
