import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LearningRate } from "../src/index.ts"

const schedule = (input: LearningRate.ScheduleConfigInput, totalEpochs = 120, stepsPerEpoch = 10) =>
  Effect.map(LearningRate.decodeConfig(input), (c) => LearningRate.make(c, { stepsPerEpoch, totalEpochs }))

describe("learning-rate schedules", () => {
  it.effect("bag-of-tricks warmup + multistep: 3.5e-5 -> 3.5e-4 over 10 epochs, x0.1 at 40 and 70", () =>
    Effect.gen(function* () {
      const s = yield* schedule({
        learningRate: 3.5e-4,
        warmup: { epochs: 10, factor: 0.1 },
        decay: { kind: "multistep", milestones: [40, 70], gamma: 0.1 }
      })
      expect(s.at(0)).toBeCloseTo(3.5e-5, 12)
      // half way through the warmup: 0.1 * 0.5 + 0.5 = 0.55
      expect(s.at(50)).toBeCloseTo(3.5e-4 * 0.55, 12)
      expect(s.at(100)).toBeCloseTo(3.5e-4, 12)
      expect(s.at(399)).toBeCloseTo(3.5e-4, 12)
      expect(s.at(400)).toBeCloseTo(3.5e-5, 12)
      expect(s.at(700)).toBeCloseTo(3.5e-6, 12)
    })
  )

  it.effect("cosine: base after warmup, half way at the midpoint, minimum at the end", () =>
    Effect.gen(function* () {
      const s = yield* schedule(
        { learningRate: 1, warmup: { epochs: 2 }, decay: { kind: "cosine", minFactor: 0.1 } },
        12
      )
      expect(s.at(20)).toBeCloseTo(1, 9)
      expect(s.at(70)).toBeCloseTo(0.55, 9)
      expect(s.at(120)).toBeCloseTo(0.1, 9)
      expect(s.at(10)).toBeCloseTo(0.01 * 0.5 + 0.5, 9)
    })
  )

  it.effect("constant warmup, constant decay", () =>
    Effect.gen(function* () {
      const s = yield* schedule({ learningRate: 0.1, warmup: { epochs: 1, factor: 0.5, method: "constant" } })
      expect(s.at(5)).toBeCloseTo(0.05, 12)
      expect(s.at(10)).toBeCloseTo(0.1, 12)
    })
  )

  it.effect("a bad value names the key", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        LearningRate.decodeConfig({ learningRate: 0.1, decay: { kind: "cosine", minFactor: -1 } })
      )
      expect(e.message).toContain(`["decay"]["minFactor"]`)
      const e2 = yield* Effect.flip(LearningRate.decodeConfig({ learningRate: 0.1, warmpu: {} }))
      expect(e2.message).toContain(`["warmpu"]`)
    })
  )

  it.effect("the deprecated baseLr is read as learningRate", () =>
    Effect.gen(function* () {
      const config = yield* LearningRate.decodeConfig({ baseLr: 0.1 })
      expect(config.learningRate).toBe(0.1)
      expect(config).not.toHaveProperty("baseLr")
    })
  )
})
