import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Ledger from "../src/Ledger.ts"
import type { Metrics } from "../src/Metrics.ts"
import { fakeTestSets } from "./fixtures.ts"

const m = (mAP: number, rank1 = mAP): Metrics => ({ mAP, mINP: mAP / 2, cmc: [rank1, Math.min(1, rank1 + 0.1)] })

// Hand-made results of one method and seed, 3 tasks; R[i][j] = mAP on task j's test set after task i.
//            task-1  task-2  task-3  unseen
// after 0:    0.60    -       -       0.20
// after 1:    0.50    0.70    -       0.30
// after 2:    0.40    0.65    0.80    0.35
const layout: Ledger.Layout = { tasks: 3, testSets: fakeTestSets(3) }
const R: Record<number, Record<string, number>> = {
  0: { "task-1": 0.6, unseen: 0.2 },
  1: { "task-1": 0.5, "task-2": 0.7, unseen: 0.3 },
  2: { "task-1": 0.4, "task-2": 0.65, "task-3": 0.8, unseen: 0.35 }
}
const cellsOf = (method: string, seed: number, shift = 0): Array<Ledger.Cell> =>
  Object.entries(R).flatMap(([after, row]) =>
    Object.entries(row).map(([testSet, v]) => ({ method, seed, after: Number(after), testSet, metrics: m(v + shift) }))
  )

describe("Ledger", () => {
  const cells = cellsOf("ft", 0)

  it("seen average after task i is the mean over the test sets of tasks 0..i", () => {
    expect(Ledger.seenAverage(cells, layout, "ft", 0, 0, "mAP")).toBeCloseTo(0.6, 12)
    expect(Ledger.seenAverage(cells, layout, "ft", 0, 1, "mAP")).toBeCloseTo(0.6, 12)
    expect(Ledger.seenAverage(cells, layout, "ft", 0, 2, "mAP")).toBeCloseTo((0.4 + 0.65 + 0.8) / 3, 12)
    expect(Ledger.seenAverage(cells, layout, "ft", 0, -1, "mAP")).toBeUndefined()
    expect(Ledger.unseen(cells, layout, "ft", 0, 2, "mAP")).toBeCloseTo(0.35, 12)
  })

  it("forgetting is the best earlier score minus the final score (Chaudhry et al. 2018)", () => {
    const [t1, t2, t3] = Ledger.seenSets(layout)
    expect(Ledger.forgetting(cells, layout, "ft", 0, t1!, "mAP")).toBeCloseTo(0.6 - 0.4, 12)
    expect(Ledger.forgetting(cells, layout, "ft", 0, t2!, "mAP")).toBeCloseTo(0.7 - 0.65, 12)
    expect(Ledger.forgetting(cells, layout, "ft", 0, t3!, "mAP")).toBeUndefined()
    expect(Ledger.meanForgetting(cells, layout, "ft", 0, "mAP")).toBeCloseTo((0.2 + 0.05) / 2, 12)
  })

  it("forgetting uses the best, BWT the score right after learning", () => {
    // task-1 rises after task 1, then drops: best earlier 0.9 (after task 1), just-after 0.6 (after task 0)
    const up = cells.map((c) => (c.after === 1 && c.testSet === "task-1" ? { ...c, metrics: m(0.9) } : c))
    const t1 = Ledger.seenSets(layout)[0]!
    expect(Ledger.forgetting(up, layout, "ft", 0, t1, "mAP")).toBeCloseTo(0.9 - 0.4, 12)
    expect(Ledger.backwardTransfer(up, layout, "ft", 0, t1, "mAP")).toBeCloseTo(0.4 - 0.6, 12)
  })

  it("backward transfer is the final score minus the score right after learning (Lopez-Paz and Ranzato 2017)", () => {
    const [t1, t2] = Ledger.seenSets(layout)
    expect(Ledger.backwardTransfer(cells, layout, "ft", 0, t1!, "mAP")).toBeCloseTo(0.4 - 0.6, 12)
    expect(Ledger.backwardTransfer(cells, layout, "ft", 0, t2!, "mAP")).toBeCloseTo(0.65 - 0.7, 12)
    expect(Ledger.meanBackwardTransfer(cells, layout, "ft", 0, "mAP")).toBeCloseTo((-0.2 - 0.05) / 2, 12)
  })

  it("the matrix has one row per evaluation and the test sets as columns, unmeasured entries undefined", () => {
    const mat = Ledger.matrix(cells, layout, "ft", 0, "mAP")
    expect(mat.rows).toEqual([0, 1, 2])
    expect(mat.columns).toEqual(["task-1", "task-2", "task-3", "unseen"])
    expect(mat.values[0]).toEqual([0.6, undefined, undefined, 0.2])
    expect(mat.values[2]![2]).toBeCloseTo(0.8, 12)
  })

  it("reads CMC ranks", () => {
    const r1 = cells.map((c) => (c.testSet === "task-1" && c.after === 2 ? { ...c, metrics: m(0.4, 0.55) } : c))
    expect(Ledger.lookup(r1, { method: "ft", seed: 0, after: 2, testSet: "task-1" }, "rank1")).toBeCloseTo(0.55, 12)
    expect(Ledger.lookup(r1, { method: "ft", seed: 0, after: 2, testSet: "task-1" }, "rank5")).toBeCloseTo(0.65, 12)
  })

  it("summarises over seeds with the sample standard deviation", () => {
    const all = [...cellsOf("ft", 0), ...cellsOf("ft", 1, 0.1), ...cellsOf("ft", 2, 0.2)]
    const s = Ledger.summarize(all, layout, "ft")
    expect(s.seeds).toEqual([0, 1, 2])
    // final task-1 mAP: 0.4, 0.5, 0.6 -> mean 0.5, sample std 0.1
    expect(s.final["task-1"]!["mAP"]!.mean).toBeCloseTo(0.5, 12)
    expect(s.final["task-1"]!["mAP"]!.std).toBeCloseTo(0.1, 12)
    expect(s.seenAverage["mAP"]!.mean).toBeCloseTo((0.4 + 0.65 + 0.8) / 3 + 0.1, 12)
    // a constant shift leaves forgetting unchanged: std 0
    expect(s.meanForgetting["mAP"]!.mean).toBeCloseTo(0.125, 12)
    expect(s.meanForgetting["mAP"]!.std).toBeCloseTo(0, 12)
    expect(s.curve.after).toEqual([0, 1, 2])
    expect(s.curve.seenAverage["mAP"]!.map((x) => x?.mean)).toEqual([
      expect.closeTo(0.7, 12),
      expect.closeTo(0.7, 12),
      expect.closeTo((0.4 + 0.65 + 0.8) / 3 + 0.1, 12)
    ])
  })

  it("paired differences over the seeds both methods ran", () => {
    const all = [
      ...cellsOf("a", 0, 0.1),
      ...cellsOf("a", 1, 0.3),
      ...cellsOf("b", 0),
      ...cellsOf("b", 1),
      ...cellsOf("b", 2)
    ]
    const d = Ledger.pairedDifference(all, layout, "a", "b", "mAP", "unseen")!
    expect(d.n).toBe(2)
    expect(d.mean).toBeCloseTo(0.2, 12)
    expect(d.std).toBeCloseTo(Math.sqrt(0.02), 12)
    expect(Ledger.pairedDifference(all, layout, "a", "b", "mAP", "seenAverage")!.mean).toBeCloseTo(0.2, 12)
  })

  it("stat: mean and sample std of finite values; undefined when there are none", () => {
    expect(Ledger.stat([])).toBeUndefined()
    expect(Ledger.stat([undefined, Number.NaN])).toBeUndefined()
    expect(Ledger.stat([2])).toEqual({ mean: 2, std: 0, n: 1 })
    const s = Ledger.stat([1, 2, 3, 4])!
    expect(s.mean).toBe(2.5)
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12)
  })

  it("property: forgetting is max(earlier) - final, and forgetting >= -BWT", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }), (v) => {
        // R[0][0]=v0, R[1][0]=v1, R[2][0]=v2 (task-1 over time)
        const cs: Array<Ledger.Cell> = [0, 1, 2].map((after) => ({
          method: "x",
          seed: 0,
          after,
          testSet: "task-1",
          metrics: m(v[after]!)
        }))
        const t1 = Ledger.seenSets(layout)[0]!
        const f = Ledger.forgetting(cs, layout, "x", 0, t1, "mAP")!
        const b = Ledger.backwardTransfer(cs, layout, "x", 0, t1, "mAP")!
        // the best earlier score is at least the just-after score, so forgetting >= -BWT
        return f >= -b - 1e-12 && Math.abs(f - (Math.max(v[0]!, v[1]!) - v[2]!)) < 1e-12
      }),
      { numRuns: 50 }
    )
  })
})
