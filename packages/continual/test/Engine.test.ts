/**
 * The engine on a protocol that is not ReID's: a `RunnableProtocol` whose methods are plain records, the three
 * services written here (a benchmark of 2 tasks, a learner whose model is one number per task, methods whose
 * terms are strings). `@reidfx/continual` runs it without any recipe package: the stages in order, the old-model
 * rule through `Methods`, the protocol saved as the recipe encodes it, a finished run not rerun.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Benchmark, type TestSetInfo } from "../src/Benchmark.ts"
import { Learner, type ModelHandle, typed } from "../src/Learner.ts"
import { Methods, typed as typedMethods } from "../src/Methods.ts"
import type { RunnableProtocol } from "../src/RunnableProtocol.ts"
import * as Runner from "../src/Runner.ts"
import * as TaskData from "../src/TaskData.ts"

interface Method {
  readonly name: string
  readonly joint: boolean
  /** `distill` reads the old model: it is left out while there is none. */
  readonly terms: ReadonlyArray<"fit" | "distill">
}
interface Toy extends RunnableProtocol {
  readonly methods: ReadonlyArray<Method>
}

const protocol = (stages: Toy["stages"]): Toy => ({
  name: "toy-engine",
  stages,
  evaluation: { after: "everyTask", initial: false },
  training: { checkpointEverySteps: 0 },
  methods: [
    { name: "plain", joint: false, terms: ["fit"] },
    { name: "distilled", joint: false, terms: ["fit", "distill"] }
  ],
  seeds: [0]
})

const testSets: ReadonlyArray<TestSetInfo> = [
  { name: "t0", kind: "seen", task: 0, queries: 1, gallery: 1 },
  { name: "t1", kind: "seen", task: 1, queries: 1, gallery: 1 },
  { name: "unseen", kind: "unseen", queries: 1, gallery: 1 }
]

/** Every train call: method, task, terms, whether an old model was passed. */
const services = (calls: Array<string>) =>
  Layer.mergeAll(
    Layer.succeed(Benchmark, {
      name: "toy",
      tasks: [0, 1].map((index) => ({ index, name: `task-${index}`, identities: 2, images: 4 })),
      testSets,
      totalIdentities: 4,
      openTask: (task: number) => Effect.succeed({ task }),
      openJoint: Effect.succeed({ task: -1 }),
      openTestSet: (name: string) => Effect.succeed({ name })
    }),
    Layer.succeed(
      Learner,
      typed<Array<number>, ReadonlyArray<number>, Toy, Method, "fit" | "distill">({
        create: () => Effect.succeed({ _tag: "ModelHandle", value: [0, 0] } satisfies ModelHandle<Array<number>>),
        train: (input) =>
          Effect.gen(function* () {
            const { task } = (yield* TaskData.read(input.data, "train")) as { readonly task: number }
            calls.push(`${input.method.name} ${task} ${input.terms.join("+")} ${Option.isSome(input.oldModel)}`)
            input.model.value[task] = input.terms.length
            return { steps: 1, images: 4, seconds: 0, finalLoss: 0, finalTerms: {}, formula: input.terms.join(" + ") }
          }),
        snapshot: (model) => Effect.succeed({ _tag: "FrozenModelHandle", value: [...model.value] }),
        evaluate: ({ model, testSet }) => {
          const v = testSet.task === undefined ? 0 : model.value[testSet.task]!
          return Effect.succeed({ mAP: v / 2, mINP: v / 4, cmc: [v / 2] })
        },
        save: (model, directory) =>
          Effect.promise(() => fs.writeFile(path.join(directory, "w.json"), JSON.stringify(model.value))),
        load: (model, directory) =>
          Effect.promise(async () => {
            const w = JSON.parse(await fs.readFile(path.join(directory, "w.json"), "utf8")) as Array<number>
            w.forEach((x, i) => {
              model.value[i] = x
            })
          })
      })
    ),
    Layer.succeed(
      Methods,
      typedMethods<Toy, Method, "fit" | "distill">({
        resolve: (p) => Effect.succeed(p.methods),
        info: (m) => ({
          name: m.name,
          label: m.name.toUpperCase(),
          formula: m.terms.join(" + "),
          sampler: "-",
          joint: m.joint
        }),
        needsOldModel: (m) => Effect.succeed(m.terms.includes("distill")),
        termsForTask: (m, hasOldModel) => Effect.succeed(m.terms.filter((t) => hasOldModel || t !== "distill")),
        encode: (p) => Effect.succeed({ name: p.name, methods: p.methods.map((m) => m.name) })
      })
    )
  )

describe("the engine on a recipe of its own", () => {
  it.effect("runs the stages in order; old-model terms wait for a snapshot; the recipe's encoding is saved", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-engine-")))
      const p = protocol([{ kind: "train" }, { kind: "evaluate" }, { kind: "snapshot" }])
      const result = yield* Runner.run(p, { out }).pipe(Effect.provide(services(calls)))
      expect(calls).toEqual([
        "plain 0 fit false",
        "plain 1 fit true",
        "distilled 0 fit false",
        "distilled 1 fit+distill true"
      ])
      expect(result.methods.map((m) => m.label)).toEqual(["PLAIN", "DISTILLED"])
      // after task 1: t0 and t1 seen, and the unseen set; the model's number for task 1 is its term count
      const after1 = result.cells.filter((c) => c.method === "distilled" && c.after === 1)
      expect(after1.map((c) => [c.testSet, c.metrics.mAP])).toEqual([
        ["t0", 0.5],
        ["t1", 1],
        ["unseen", 0]
      ])
      const saved = JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(out, "protocol.json"), "utf8")))
      expect(saved).toEqual({ name: "toy-engine", methods: ["plain", "distilled"] })
      expect(result.protocolJson).toEqual(saved)
      // a finished run resumes to the same cells without training again
      const again = yield* Runner.run(p, { out }).pipe(Effect.provide(services(calls)))
      expect(calls).toHaveLength(4)
      expect(again.cells).toEqual(result.cells)
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    })
  )

  it.effect("a unit's state.json is its stage journal: the stages' outcomes, the live checkpoints as fields", () =>
    Effect.gen(function* () {
      const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-engine-")))
      const p = protocol([{ kind: "train" }, { kind: "evaluate" }, { kind: "snapshot" }])
      const result = yield* Runner.run(p, { out, methods: ["plain"] }).pipe(Effect.provide(services([])))
      const unit = path.join(out, "units", "plain", "seed-0")
      const state = JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(unit, "state.json"), "utf8")))
      expect(state.format).toBe(1)
      expect(state.unit).toBe("plain/seed-0")
      expect(state.completed).toEqual([
        "task-0/0-train",
        "task-0/1-evaluate",
        "task-0/2-snapshot",
        "task-1/0-train",
        "task-1/1-evaluate",
        "task-1/2-snapshot"
      ])
      expect(state.values["task-1/0-train"]).toEqual({
        _tag: "Trained",
        summary: { steps: 1, images: 4, seconds: 0, finalLoss: 0, finalTerms: {}, formula: "fit" }
      })
      expect(state.values["task-1/2-snapshot"]).toEqual({ _tag: "Snapshot" })
      // after task 0: t0 seen (the model's number for task 0 is 1 term: mAP 1/2) and the unseen set
      expect(state.values["task-0/1-evaluate"]).toEqual({
        _tag: "Evaluated",
        cells: [
          { method: "plain", seed: 0, after: 0, testSet: "t0", metrics: { mAP: 0.5, mINP: 0.25, cmc: [0.5] } },
          { method: "plain", seed: 0, after: 0, testSet: "unseen", metrics: { mAP: 0, mINP: 0, cmc: [0] } }
        ]
      })
      // the fields point at the last checkpoints, and the older ones were removed once nothing pointed at them
      expect(state.fields).toEqual({ model: "ckpt/task-1_0-train", oldModel: "ckpt/task-1_2-snapshot-old" })
      expect((yield* Effect.promise(() => fs.readdir(path.join(unit, "ckpt")))).sort()).toEqual([
        "task-1_0-train",
        "task-1_2-snapshot-old"
      ])
      // the run's unit is read off the journal
      expect(result.units).toHaveLength(1)
      expect(result.units[0]!.completed).toEqual(state.completed)
      expect(result.units[0]!.cells).toEqual(result.cells)
      expect(Object.keys(result.units[0]!.trained)).toEqual(["task-0/0-train", "task-1/0-train"])
      expect(result.units[0]!.model).toBe("ckpt/task-1_0-train")
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    })
  )

  it.effect("a run folder written by an older reidfx (a unit state without a journal) is refused in one line", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-engine-")))
      const unit = path.join(out, "units", "plain", "seed-0")
      // the lifelong runner's unit state before it kept a stage journal
      const old = JSON.stringify({
        method: "plain",
        seed: 0,
        completed: ["task-0/0-train"],
        cells: [],
        trained: { "task-0/0-train": { steps: 1 } },
        custom: {},
        model: "ckpt/task-0_0-train",
        seconds: 1
      })
      yield* Effect.promise(async () => {
        await fs.mkdir(unit, { recursive: true })
        await fs.writeFile(path.join(unit, "state.json"), old)
      })
      const error = yield* Effect.flip(
        Runner.run(protocol([{ kind: "train" }]), { out, methods: ["plain"] }).pipe(Effect.provide(services(calls)))
      )
      expect(error._tag).toBe("RunStoreError")
      expect(error.message).toBe(
        `run folder: cannot resume from ${path.join(unit, "state.json")}: written by an older reidfx ` +
          "(a lifelong unit state without a stage journal): rerun with --fresh"
      )
      expect((error as { readonly cause?: { readonly _tag?: string } }).cause?._tag).toBe("RunFolderOutdated")
      // nothing trained, the old file left as it was
      expect(calls).toEqual([])
      expect(yield* Effect.promise(() => fs.readFile(path.join(unit, "state.json"), "utf8"))).toBe(old)
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    })
  )

  it.effect("a method whose terms need the old model fails on task 2 without a snapshot stage (NoOldModel)", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const error = yield* Effect.flip(
        Runner.run(protocol([{ kind: "train" }]), { methods: ["distilled"] }).pipe(Effect.provide(services(calls)))
      )
      expect(error._tag).toBe("NoOldModel")
      expect(calls).toEqual(["distilled 0 fit false"])
    })
  )
})
