import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { Runner, RunStore, Stage, TaskData } from "@reidfx/continual"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { type FakeModel, fakeBenchmark, fakeLearner, makeControl } from "./fixtures.ts"

const protocolInput: ProtocolInput = {
  name: "fake",
  data: { split: { kind: "intraDomain", tasks: 3 } },
  methods: ["joint", "bot-ft", "dwopp"],
  seeds: [0, 1]
}
const protocol = Effect.runSync(ProtocolFile.make(protocolInput))

const tmpDir = () => Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-continual-")))

describe("Runner", () => {
  it.effect("runs every method and seed: init, then every task's seen test sets and the unseen one", () =>
    Effect.gen(function* () {
      const result = yield* Runner.run(protocol)
      expect(result.methods.map((m) => m.label)).toEqual(["Joint", "BoT-FT", "DwoPP"])
      const ft = result.cells.filter((c) => c.method === "bot-ft" && c.seed === 0)
      // init: 4 test sets; after task 0: 2; after 1: 3; after 2: 4
      expect(ft.length).toBe(4 + 2 + 3 + 4)
      expect(ft.filter((c) => c.after === 1).map((c) => c.testSet)).toEqual(["task-1", "task-2", "unseen"])
      const joint = result.cells.filter((c) => c.method === "joint" && c.seed === 0 && c.after >= 0)
      expect(joint.map((c) => c.after)).toEqual([2, 2, 2, 2])
      // distillation forgets less in the fake learner: the ledger sees it
      const finalTask1 = (m: string) =>
        result.cells.find((c) => c.method === m && c.seed === 0 && c.after === 2 && c.testSet === "task-1")!.metrics.mAP
      expect(finalTask1("dwopp")).toBeGreaterThan(finalTask1("bot-ft"))
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
  )

  it.effect("the same seed gives every method the same initial model", () =>
    Effect.gen(function* () {
      const result = yield* Runner.run(protocol)
      const init = (m: string, seed: number) =>
        result.cells.find((c) => c.method === m && c.seed === seed && c.after === -1)!.metrics.mAP
      expect(init("bot-ft", 0)).toBe(init("dwopp", 0))
      expect(init("bot-ft", 0)).not.toBe(init("bot-ft", 1))
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
  )

  it.effect("a stage that reads an earlier task's data fails with TaskDataClosed", () =>
    Effect.gen(function* () {
      let kept: TaskData.TaskData<unknown> | undefined
      const peek = Stage.make("peek", (ctx) =>
        Effect.gen(function* () {
          if (kept === undefined) kept = ctx.data
          const current = yield* TaskData.read(ctx.data, "peek")
          const earlier = yield* TaskData.read(kept, "peek")
          return { current, earlier }
        })
      )
      const p = yield* ProtocolFile.make({
        ...protocolInput,
        methods: ["bot-ft"],
        seeds: [0],
        stages: [{ kind: "train" }, { kind: "custom", name: "peek" }]
      })
      const error = yield* Effect.flip(Runner.run(p, { stages: { peek } }))
      expect(error._tag).toBe("TaskDataClosed")
      assert.strictEqual((error as { task: number }).task, 0)
      expect(error.message).toContain(`task 0: its data was read ("peek") after the task ended`)
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
  )

  it.effect("the old model is frozen and given to training from the second task on", () => {
    const control = makeControl()
    return Effect.gen(function* () {
      const seen: Array<{ task: number; old: boolean; terms: ReadonlyArray<string> }> = []
      const record = Stage.make("record", (ctx) =>
        Effect.sync(() => {
          seen.push({ task: ctx.task.index, old: Option.isSome(ctx.oldModel), terms: [] })
          return null
        })
      )
      const p = yield* ProtocolFile.make({
        ...protocolInput,
        methods: ["dwopp"],
        seeds: [0],
        stages: [{ kind: "custom", name: "record" }, { kind: "train" }, { kind: "snapshot" }, { kind: "evaluate" }]
      })
      yield* Runner.run(p, { stages: { record } })
      expect(seen.map((s) => s.old)).toEqual([false, true, true])
      expect(control.frozen.length).toBe(3)
      // the frozen copies kept the weights they had when frozen, while the model kept training
      const [first, second] = control.frozen as [FakeModel, FakeModel]
      expect(first.w).not.toEqual(second.w)
      expect(Object.isFrozen(first.w)).toBe(true)
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(control))))
  })

  it.effect("a method that needs the old model fails on task 2 when no snapshot stage provides it", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make({
        ...protocolInput,
        methods: ["dwopp"],
        seeds: [0],
        stages: [{ kind: "train" }]
      })
      const error = yield* Effect.flip(Runner.run(p))
      expect(error._tag).toBe("NoOldModel")
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
  )

  it.effect("an unregistered custom stage is an error listing the registered ones", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make({
        ...protocolInput,
        methods: ["bot-ft"],
        seeds: [0],
        stages: [{ kind: "custom", name: "nope" }]
      })
      const error = yield* Effect.flip(Runner.run(p, { stages: { other: Stage.make("other", () => Effect.void) } }))
      expect(error.message).toContain('no custom stage "nope"')
      expect(error.message).toContain("other")
    }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
  )

  it.effect("interrupted at any training stage, a run resumes with the same final results", () =>
    Effect.gen(function* () {
      const reference = yield* Runner.run(protocol).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
      const trainStages = 2 * (1 + 3 + 3) // seeds x (joint + two sequential methods x 3 tasks)
      for (let failAt = 1; failAt <= trainStages; failAt++) {
        const out = yield* tmpDir()
        const control = makeControl()
        control.failOnTrainCall = failAt
        const first = yield* Effect.exit(
          Runner.run(protocol, { out }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(control))))
        )
        assert.isTrue(Exit.isFailure(first))
        const resumedControl = makeControl()
        const resumed = yield* Runner.run(protocol, { out }).pipe(
          Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(resumedControl)))
        )
        expect(resumed.cells).toEqual(reference.cells)
        // only what had not been done is trained again
        expect(resumedControl.trainCalls).toBe(trainStages - (failAt - 1))
        yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
      }
    })
  )

  it.effect("interrupted during an evaluation (of any test set), a run resumes with the same final results", () =>
    Effect.gen(function* () {
      const reference = yield* Runner.run(protocol).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
      const calls = makeControl()
      yield* Runner.run(protocol).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(calls))))
      for (let failAt = 1; failAt <= calls.evaluateCalls; failAt += 7) {
        const out = yield* tmpDir()
        const control = makeControl()
        control.failOnEvaluateCall = failAt
        const first = yield* Effect.exit(
          Runner.run(protocol, { out }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(control))))
        )
        assert.isTrue(Exit.isFailure(first))
        const resumed = yield* Runner.run(protocol, { out }).pipe(
          Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner()))
        )
        expect(resumed.cells).toEqual(reference.cells)
        yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
      }
    })
  )

  it.effect("resuming a finished run does nothing and keeps only the live checkpoints", () =>
    Effect.gen(function* () {
      const out = yield* tmpDir()
      const layers = Layer.merge(fakeBenchmark(3), fakeLearner())
      const a = yield* Runner.run(protocol, { out }).pipe(Effect.provide(layers))
      const control = makeControl()
      const b = yield* Runner.run(protocol, { out }).pipe(
        Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner(control)))
      )
      expect(control.trainCalls).toBe(0)
      expect(b.cells).toEqual(a.cells)
      const ckpts = yield* Effect.promise(() => fs.readdir(path.join(RunStore.unitDir(out, "dwopp", 0), "ckpt")))
      expect(ckpts.sort()).toEqual(["task-2_0-train", "task-2_2-snapshot-old"])
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    })
  )

  it.effect("a run folder of another protocol is refused", () =>
    Effect.gen(function* () {
      const out = yield* tmpDir()
      const layers = Layer.merge(fakeBenchmark(3), fakeLearner())
      yield* Runner.run(protocol, { out, methods: ["bot-ft"] }).pipe(Effect.provide(layers))
      const other = yield* ProtocolFile.make({ ...protocolInput, seeds: [5] })
      const error = yield* Effect.flip(Runner.run(other, { out }).pipe(Effect.provide(layers)))
      expect(error._tag).toBe("RunMismatch")
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    })
  )
})
