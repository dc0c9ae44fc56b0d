import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Progress from "../src/Progress.ts"

const training = (step: number) =>
  Progress.emit({
    _tag: "Training",
    method: "dwopp",
    seed: 0,
    task: "task-1",
    progress: { epoch: 1, epochs: 2, step, steps: 4, loss: 1.5, terms: { dmml: 1, dwopp: 0.5 }, imagesPerSecond: 100 }
  })

describe("Progress", () => {
  it.effect("off a terminal: one line per stage, the last step of each epoch, and an ETA after the first run", () => {
    const lines: Array<string> = []
    return Effect.gen(function*() {
      yield* Progress.emit({ _tag: "UnitStarted", method: "dwopp", seed: 0, unit: 1, units: 3, resumed: 0 })
      for (let s = 1; s <= 4; s++) yield* training(s)
      yield* Progress.emit({ _tag: "StageDone", method: "dwopp", seed: 0, task: "task-1", stage: "train", seconds: 2, detail: "4 steps" })
      yield* Progress.emit({ _tag: "UnitDone", method: "dwopp", seed: 0, seconds: 120 })
      yield* Progress.emit({ _tag: "UnitStarted", method: "dwpp", seed: 0, unit: 2, units: 3, resumed: 0 })
      const text = lines.join("")
      expect(text.split("\n").filter((l) => l.includes("train epoch"))).toHaveLength(1)
      expect(text).toContain("step 4/4 (100%) loss 1.500 [dmml 1.000, dwopp 0.500]")
      expect(text).toContain("task-1 train: 4 steps (2.0 s)")
      expect(text).toContain("[2/3] dwpp seed 0, about 4 min left")
    }).pipe(Effect.provide(Progress.layerConsole({ tty: false, write: (t) => lines.push(t) })))
  })

  it.effect("on a terminal, training updates rewrite one line", () => {
    const lines: Array<string> = []
    return Effect.gen(function*() {
      yield* training(1)
      yield* training(2)
      expect(lines.every((l) => l.startsWith("\r"))).toBe(true)
    }).pipe(Effect.provide(Progress.layerConsole({ tty: true, write: (t) => lines.push(t) })))
  })
})
