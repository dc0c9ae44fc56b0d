import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Tracker as RunLog } from "@reidfx/tensor"
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
    return Effect.gen(function* () {
      yield* Progress.emit({ _tag: "UnitStarted", method: "dwopp", seed: 0, unit: 1, units: 3, resumed: 0 })
      for (let s = 1; s <= 4; s++) yield* training(s)
      yield* Progress.emit({
        _tag: "StageDone",
        method: "dwopp",
        seed: 0,
        task: "task-1",
        stage: "train",
        seconds: 2,
        detail: "4 steps"
      })
      yield* Progress.emit({ _tag: "UnitDone", method: "dwopp", seed: 0, seconds: 120 })
      yield* Progress.emit({ _tag: "UnitStarted", method: "dwpp", seed: 0, unit: 2, units: 3, resumed: 0 })
      const text = lines.join("")
      expect(text.split("\n").filter((l) => l.includes("task-1 epoch"))).toHaveLength(1)
      // the line format of every command (reidfx train's reporter)
      expect(text).toContain("  task-1 epoch 1/2 step 4/4 loss 1.5000 (dmml 1.0000, dwopp 0.5000) 100.0 img/s\n")
      expect(text).toContain("task-1 train: 4 steps (2.0 s)")
      expect(text).toContain("[2/3] dwpp seed 0, about 4 min left")
    }).pipe(Effect.provide(Progress.layerConsole({ tty: false, write: (t) => lines.push(t) })))
  })

  it.effect("on a terminal, training updates rewrite one line", () => {
    const lines: Array<string> = []
    return Effect.gen(function* () {
      yield* training(1)
      yield* training(2)
      expect(lines.every((l) => l.startsWith("\r"))).toBe(true)
      // step 2 of 4 in epoch 1 of 2: a quarter of the task's bar
      expect(lines[1]).toBe(
        `\r${"  task-1 [######..................] epoch 1/2 step 2/4 loss 1.5000 (dmml 1.0000, dwopp 0.5000) 100.0 img/s".padEnd(119)}`
      )
    }).pipe(Effect.provide(Progress.layerConsole({ tty: true, columns: 120, write: (t) => lines.push(t) })))
  })
})

describe("Progress.logged", () => {
  it.effect(
    "records each training step (counted per method and seed) and each evaluation, and still reports them",
    () => {
      const records: Array<RunLog.LogRecord> = []
      const shown: Array<string> = []
      const inner: Progress.ProgressService = { emit: (e) => Effect.sync(() => void shown.push(e._tag)) }
      const log = { record: (r: RunLog.LogRecord) => Effect.sync(() => void records.push(r)) }
      return Effect.gen(function* () {
        yield* training(1)
        yield* training(2)
        yield* Progress.emit({
          _tag: "Evaluated",
          method: "dwopp",
          seed: 0,
          after: 0,
          testSet: "market",
          metrics: { mAP: 0.5, mINP: 0.25, cmc: [0.6, 0.7, 0.8, 0.85, 0.9] }
        })
        expect(shown).toEqual(["Training", "Training", "Evaluated"])
        expect(records.map((r) => [r.kind, r.step])).toEqual([
          ["step", 0],
          ["step", 1],
          ["evaluation", 0]
        ])
        expect(records[1]!.where).toEqual({ method: "dwopp", seed: 0, task: "task-1", epoch: 1 })
        expect(records[1]!.values).toEqual({ loss: 1.5, dmml: 1, dwopp: 0.5, imagesPerSecond: 100 })
        expect(records[2]!.where).toEqual({ method: "dwopp", seed: 0, testSet: "market" })
        expect(records[2]!.values).toEqual({ mAP: 0.5, mINP: 0.25, rank1: 0.6, rank5: 0.9 })
      }).pipe(Effect.provideService(Progress.Progress, Progress.logged(inner, log)))
    }
  )
})
