import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import { allPairs, verification } from "../src/index.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

describe("verification", () => {
  it("hand-made ROC, AUC, EER and TAR at FAR", () => {
    // genuine 0.9 0.8 0.4, impostor 0.7 0.3 0.2 0.1
    const scores = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1]
    const same = [1, 1, 0, 1, 0, 0, 0]
    const r = verification(scores, same, { fars: [0, 0.25, 0.5] })
    expect(Array.from(r.roc.tar)).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1, 1])
    expect(Array.from(r.roc.far)).toEqual([0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1])
    // Mann-Whitney: pairs (g > i): 0.9 > 4, 0.8 > 4, 0.4 > 3 -> 11/12
    expect(r.auc).toBeCloseTo(11 / 12, 12)
    // FRR = FAR between (0.25, 2/3) [FRR 1/3 > 1/4] and (0.25, 1) [FRR 0 <= 1/4]: the EER is 0.25
    expect(r.eer).toBeCloseTo(0.25, 12)
    expect(r.tarAtFar.map((t) => t.tar)).toEqual([2 / 3, 1, 1])
    expect(r.genuine).toBe(3)
    expect(r.impostor).toBe(4)
  })

  it("distances are handled as reversed similarities; ties get half credit", () => {
    const a = verification([0.1, 0.2, 0.3], [1, 0, 0], { scoreType: "distance" })
    expect(a.auc).toBe(1)
    const tie = verification([0.5, 0.5], [1, 0])
    expect(tie.auc).toBeCloseTo(0.5, 12)
    expect(() => verification([0.5], [1])).toThrow(expect.objectContaining({ _tag: "EmptySet" }))
    expect(() => verification([0.5, Number.NaN], [1, 0])).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
  })

  it("AUC equals the Mann-Whitney statistic; rates are monotone; EER in [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.boolean()), { minLength: 2, maxLength: 40 }),
        (pairs) => {
          const scores = pairs.map((p) => p[0])
          const same = pairs.map((p) => p[1])
          const G = same.filter(Boolean).length
          if (G === 0 || G === same.length) return
          const r = verification(scores, same)
          let wins = 0
          for (let i = 0; i < pairs.length; i++)
            for (let j = 0; j < pairs.length; j++) {
              if (same[i] && !same[j]) wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0
            }
          expect(r.auc).toBeCloseTo(wins / (G * (pairs.length - G)), 10)
          for (let t = 1; t < r.roc.far.length; t++) {
            expect(r.roc.far[t]).toBeGreaterThanOrEqual(r.roc.far[t - 1]!)
            expect(r.roc.tar[t]).toBeGreaterThanOrEqual(r.roc.tar[t - 1]!)
          }
          expect(r.eer).toBeGreaterThanOrEqual(0)
          expect(r.eer).toBeLessThanOrEqual(1)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("allPairs builds labelled pairs from features", () => {
    const { distances, same } = allPairs(
      [
        [1, 0],
        [1, 0.1],
        [0, 1]
      ],
      [5, 5, 6]
    )
    expect(Array.from(same)).toEqual([1, 0, 0])
    expect(distances.length).toBe(3)
    expect(verification(distances, same, { scoreType: "distance" }).auc).toBe(1)
  })
})
