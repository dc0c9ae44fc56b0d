/**
 * The engine on the real reidfx stack, at toy sizes (16x8 images, a two-stage reference net) on the cpu
 * backend: the old model is a frozen snapshot, distillation runs from the second task, an interrupted run
 * resumes with the same results, and the lifelong rule holds for the real task data.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Option } from "effect"
import type { Model } from "@reidfx/model"
import { Synthetic, SyntheticExport } from "@reidfx/data"
import { smallSteps, toyProtocol } from "./toyProtocol.ts"
import { Benchmark as Benchmarks, Learner as Learners, Runner, Stage, TaskData } from "@reidfx/continual"
import * as Lifelong from "../src/Lifelong.ts"
import type { MethodSpec, ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"

const { Benchmark } = Benchmarks
const { Learner } = Learners

const input: ProtocolInput = toyProtocol("toy", ["dwopp"], smallSteps)
const protocol = Effect.runSync(ProtocolFile.make(input))
const backend = Backend.layerCpu

const snapshotWeights = (m: Model.FrozenModel | Model.TrainableModel) =>
  new Map([...m.weights()].map(([k, v]) => [k, Array.from(v.dataSync())] as const))

describe("the reidfx learner", () => {
  it.effect("the old model is frozen: training the next task leaves its weights unchanged", () =>
    Effect.gen(function* () {
      const frozenBefore: Array<Map<string, Array<number>>> = []
      const frozenAfter: Array<Map<string, Array<number>>> = []
      const trainable: Array<Map<string, Array<number>>> = []
      const probe = Stage.make("probe", (ctx) =>
        Effect.sync(() => {
          const { model } = ReidLearner.modelOf(ctx.model)
          trainable.push(snapshotWeights(model))
          if (Option.isSome(ctx.oldModel)) {
            const old = ReidLearner.frozenOf(ctx.oldModel.value).model
            ;(ctx.stageIndex === 0 ? frozenBefore : frozenAfter).push(snapshotWeights(old))
          }
          return null
        })
      )
      const p = yield* ProtocolFile.make({
        ...input,
        stages: [
          { kind: "custom", name: "probe" },
          { kind: "train" },
          { kind: "custom", name: "probe" },
          { kind: "snapshot" }
        ]
      })
      const result = yield* Runner.run(p, { stages: { probe } }).pipe(Effect.provide(Lifelong.layer(p)))
      // task 2 trained with DwoPP from the old model
      expect(result.units[0]!.trained["task-1/1-train"]!.formula).toContain("dwopp")
      expect(result.units[0]!.trained["task-0/1-train"]!.formula).not.toContain("dwopp")
      expect(frozenBefore.length).toBe(1)
      expect(frozenAfter.length).toBe(1)
      for (const [name, values] of frozenBefore[0]!) expect(frozenAfter[0]!.get(name)).toEqual(values)
      // while the trainable model did change during task 2
      const changed = [...trainable[2]!].some(([name, v]) => v.some((x, i) => x !== trainable[3]!.get(name)![i]))
      expect(changed).toBe(true)
    }).pipe(Effect.provide(backend))
  )

  it.effect("no tensor leaks across a whole run", () =>
    Effect.gen(function* () {
      yield* noLeaksEffect(Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol))), "a lifelong run")
    }).pipe(Effect.provide(backend))
  )

  it.effect("an interrupted run resumes with the same final results", () =>
    Effect.gen(function* () {
      const reference = yield* Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol)))
      const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-resume-")))
      let failAt: number | undefined = 1
      const crash = Stage.make("crash", (ctx) =>
        ctx.task.index === failAt ? Effect.fail("power cut" as const) : Effect.succeed(null)
      )
      const p = yield* ProtocolFile.make({
        ...input,
        stages: [{ kind: "train" }, { kind: "snapshot" }, { kind: "custom", name: "crash" }, { kind: "evaluate" }]
      })
      const ref = yield* Runner.run(p, { stages: { crash: Stage.make("crash", () => Effect.succeed(null)) } }).pipe(
        Effect.provide(Lifelong.layer(p))
      )
      const first = yield* Effect.exit(
        Runner.run(p, { out, stages: { crash } }).pipe(Effect.provide(Lifelong.layer(p)))
      )
      assert.isTrue(Exit.isFailure(first))
      failAt = undefined
      const resumed = yield* Runner.run(p, { out, stages: { crash } }).pipe(Effect.provide(Lifelong.layer(p)))
      expect(resumed.cells).toEqual(ref.cells)
      expect(reference.cells.length).toBe(ref.cells.length)
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    }).pipe(Effect.provide(backend))
  )

  it.effect("the real task data is closed once its task ends", () =>
    Effect.gen(function* () {
      const benchmark = yield* Benchmark
      const learner = yield* Learner
      let kept: TaskData.TaskData<unknown> | undefined
      yield* Effect.scoped(
        Effect.gen(function* () {
          kept = yield* TaskData.open(0, yield* benchmark.openTask(0))
        })
      )
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.gen(function* () {
            const method: MethodSpec = {
              name: "x",
              sampler: { kind: "pk", identities: 4, instances: 2 },
              terms: [{ loss: "tripletBatchHard", margin: 0.3, weight: 1 }],
              joint: false
            }
            const model = yield* learner.create({ protocol, method, classes: benchmark.totalIdentities })
            return yield* learner.train({
              protocol,
              method: { ...method, terms: [] } as MethodSpec,
              terms: [{ loss: "tripletBatchHard", margin: 0.3, weight: 1 }],
              task: benchmark.tasks[1]!,
              model,
              oldModel: Option.none(),
              data: kept!,
              onProgress: () => Effect.void
            })
          })
        )
      )
      expect(error._tag).toBe("TaskDataClosed")
      expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0)
    }).pipe(Effect.provide(Lifelong.layer(protocol).pipe(Layer.provideMerge(backend))))
  )
})

describe("an inter-domain sequence", () => {
  it.effect("runs one task per dataset, with the unseen domains as the unseen test set", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make({
        name: "toy-lreid",
        data: {
          split: {
            kind: "interDomain",
            sequence: [
              {
                name: "domain-a",
                world: { kind: "synthetic", identities: 16, cameras: 2, imagesPerCamera: 2, seed: 1 },
                identities: 6
              },
              {
                name: "domain-b",
                world: { kind: "synthetic", identities: 16, cameras: 3, imagesPerCamera: 2, seed: 2 },
                identities: 6
              }
            ],
            unseen: [
              {
                name: "domain-c",
                world: { kind: "synthetic", identities: 12, cameras: 2, imagesPerCamera: 2, seed: 9 },
                identities: 4
              }
            ]
          }
        },
        model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
        training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8 },
        evaluation: { initial: false },
        methods: ["lwf"],
        seeds: [0]
      })
      const result = yield* Runner.run(p).pipe(Effect.provide(Lifelong.layer(p)))
      expect(result.layout.testSets.map((t) => t.name)).toEqual(["domain-a", "domain-b", "unseen"])
      expect(result.layout.tasks).toBe(2)
      const final = result.cells.filter((c) => c.after === 1)
      expect(final.map((c) => c.testSet)).toEqual(["domain-a", "domain-b", "unseen"])
      for (const c of final) expect(c.metrics.mAP).toBeGreaterThan(0)
    }).pipe(Effect.provide(backend))
  )
})

describe("a dataset in a real layout", () => {
  it.effect("a Market-1501 folder (the synthetic world written to disk) is read, split and trained on", () =>
    Effect.gen(function* () {
      const root = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-market-")))
      const world = Synthetic.makeSync({
        identities: 24,
        cameras: 3,
        imagesPerCamera: 2,
        seed: 3,
        height: 16,
        width: 8
      })
      yield* SyntheticExport.writeMarket1501(world, root)
      const p = yield* ProtocolFile.make({
        ...input,
        name: "toy-market",
        data: {
          split: {
            kind: "intraDomain",
            world: { kind: "layout", layout: "market1501", root },
            tasks: 2,
            unseenIdentities: 4
          }
        },
        methods: ["bot-ft"]
      })
      const result = yield* Runner.run(p).pipe(Effect.provide(Lifelong.layer(p)))
      expect(result.cells.filter((c) => c.after === 1).map((c) => c.testSet)).toEqual(["task-1", "task-2", "unseen"])
      const missing = yield* ProtocolFile.make({
        ...input,
        name: "missing",
        data: {
          split: { kind: "intraDomain", world: { kind: "layout", layout: "market1501", root: path.join(root, "nope") } }
        }
      })
      const error = yield* Effect.flip(Runner.run(missing).pipe(Effect.provide(Lifelong.layer(missing))))
      expect(error.message).toContain("market1501")
      yield* Effect.promise(() => fs.rm(root, { recursive: true, force: true }))
    }).pipe(Effect.provide(backend))
  )
})
