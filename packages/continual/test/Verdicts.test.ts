import { describe, expect, it } from "@effect/vitest"
import type { Cell } from "../src/Ledger.ts"
import type { RunResult } from "../src/Runner.ts"
import * as Verdicts from "../src/report/Verdicts.ts"
import { fakeTestSets } from "./fixtures.ts"

const layout = { tasks: 2, testSets: fakeTestSets(2) }

/** Cells of a 2-task run: seen sets after each task and the unseen set, `task1` = R[0][0], `final` = R[1][0]. */
const cells = (method: string, seed: number, task1: number, final: number, second: number): ReadonlyArray<Cell> => {
  const m = (mAP: number) => ({ mAP, mINP: mAP, cmc: [mAP] })
  return [
    { method, seed, after: 0, testSet: "task-1", metrics: m(task1) },
    { method, seed, after: 0, testSet: "unseen", metrics: m(0.1) },
    { method, seed, after: 1, testSet: "task-1", metrics: m(final) },
    { method, seed, after: 1, testSet: "task-2", metrics: m(second) },
    { method, seed, after: 1, testSet: "unseen", metrics: m(0.1) }
  ]
}

const run = (all: ReadonlyArray<Cell>): RunResult => ({ layout, cells: all }) as unknown as RunResult

describe("verdicts on the seed's claims", () => {
  it("the t-interval is hand-computed: [1, 2, 3] gives 2 ± 4.303 / sqrt(3)", () => {
    const i = Verdicts.interval([1, 2, 3])!
    expect(i.mean).toBe(2)
    expect(i.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 9)
    expect(i.high).toBeCloseTo(2 + 4.303 / Math.sqrt(3), 9)
    expect(Verdicts.verdictOf(i)).toBe("not significant")
    expect(Verdicts.verdictOf(Verdicts.interval([2, 2.1, 1.9])!)).toBe("holds")
    expect(Verdicts.verdictOf(Verdicts.interval([-2, -2.1, -1.9])!)).toBe("reversed")
    // one seed is never significant
    expect(Verdicts.verdictOf(Verdicts.interval([5])!)).toBe("not significant")
    expect(Verdicts.tQuantile975(2)).toBe(4.303)
    expect(Verdicts.tQuantile975(100)).toBe(1.96)
  })

  it("scores and forgetting come from paired per-seed differences", () => {
    const all = [0, 1, 2].flatMap((s) => [
      // DwoPP: seen avg (0.6 + 0.6) / 2 = 0.6, forgetting 0.7 - 0.6 = 0.1
      ...cells("dwopp", s, 0.7, 0.6 + 0.01 * s, 0.6),
      // DwPP: seen avg 0.5, forgetting 0.7 - 0.4 = 0.3
      ...cells("dwpp", s, 0.7, 0.4 + 0.01 * s, 0.6),
      // DMML-FT: forgetting 0.7 - 0.2 = 0.5
      ...cells("dmml-ft", s, 0.7, 0.2, 0.9 - 0.02 * s)
    ])
    const results = Verdicts.evaluate(run(all))
    expect(results.map((r) => r.claim.text)).toEqual([
      "DwoPP > DwPP (seen avg. mAP)",
      "DwPP forgets less than DMML-FT (forgetting, mAP)",
      "DwoPP forgets less than DMML-FT (forgetting, mAP)"
    ])
    // DwoPP - DwPP seen avg: (0.6 + 0.01 s + 0.6) / 2 - (0.4 + 0.01 s + 0.6) / 2 = 0.1 -> 10 points every seed
    expect(results[0]!.differences.map((d) => Math.round(d * 1e6) / 1e6)).toEqual([10, 10, 10])
    expect(results[0]!.verdict).toBe("holds")
    // forgetting of DMML-FT minus DwPP's: 0.5 - (0.3 - 0.01 s) = 20, 21, 22 points
    expect(results[1]!.differences.map((d) => Math.round(d * 1e6) / 1e6)).toEqual([20, 21, 22])
    expect(Verdicts.toLines(results)[0]).toMatch(
      /^holds\s+DwoPP > DwPP \(seen avg\. mAP\): \+10\.0 points, 95% CI \[\+10\.0, \+10\.0\], 3 seeds$/
    )
  })
})
