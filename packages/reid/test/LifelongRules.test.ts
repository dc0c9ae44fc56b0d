/**
 * The lifelong rules by construction, and the properties of the inter-domain benchmark: a stage cannot reach
 * another task, the classifier grows by each task's identities (never a future class), the old model's logits
 * are the old classes, seen test sets are bound to their task's domain, and the pretraining is computed once.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { Item } from "@reidfx/data"
import { Backend, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Option } from "effect"
import { Benchmark as Benchmarks, Learner as Learners, Runner, Stage, TaskData } from "@reidfx/continual"
import * as Demo from "../src/Demo.ts"
import * as Lifelong from "../src/Lifelong.ts"
import type { MethodSpec, ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as Pretraining from "../src/reid/Pretraining.ts"
import * as ReidBenchmark from "../src/reid/ReidBenchmark.ts"
import type { TrainPayload } from "../src/reid/ReidBenchmark.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"
import { fakeBenchmark, fakeLearner } from "./fixtures.ts"

const { Benchmark } = Benchmarks
type BenchmarkService = Benchmarks.BenchmarkService
const { Learner } = Learners

const backend = Backend.layerCpu

const toy: ProtocolInput = {
  name: "toy-domains",
  data: {
    split: {
      kind: "interDomain",
      sequence: [
        {
          name: "market",
          world: { kind: "synthetic", domain: "market", identities: 12, cameras: 2, imagesPerCamera: 2, seed: 1 },
          identities: 5
        },
        {
          name: "duke",
          world: { kind: "synthetic", domain: "duke", identities: 14, cameras: 2, imagesPerCamera: 2, seed: 2 },
          identities: 7
        }
      ],
      unseen: [
        {
          name: "viper",
          world: { kind: "synthetic", domain: "viper", identities: 8, cameras: 2, imagesPerCamera: 2, seed: 9 },
          identities: 4
        }
      ]
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8, optimizer: { learningRate: 0.01 } },
  evaluation: { initial: false, batchSize: 64 },
  methods: ["lwf"],
  seeds: [0]
}

describe("a stage sees only its own task", () => {
  it.effect("a custom stage that opens another task, the joint data or a test set fails; its own task opens", () =>
    Effect.gen(function* () {
      const protocol = yield* ProtocolFile.make({
        ...toy,
        stages: [{ kind: "custom", name: "peek" }],
        methods: ["bot-ft"]
      })
      const opened: Array<number> = []
      const own = Stage.make("peek", (ctx) =>
        Effect.gen(function* () {
          const benchmark = yield* Benchmark
          yield* Effect.scoped(benchmark.openTask(ctx.task.index))
          opened.push(ctx.task.index)
          return null
        })
      )
      yield* Runner.run(protocol, { stages: { peek: own } }).pipe(
        Effect.provide(fakeBenchmark(3)),
        Effect.provide(fakeLearner())
      )
      expect(opened).toEqual([0, 1, 2])
      for (const reach of [(t: number) => t + 1, (t: number) => t - 1] as const) {
        const peek = Stage.make("peek", (ctx) =>
          Effect.gen(function* () {
            const benchmark = yield* Benchmark
            // task 1 reaches task 2 (the future), or task 2 reaches task 1 (the past)
            const target = reach(ctx.task.index)
            if (target < 0 || target > 2) return null
            return yield* Effect.scoped(benchmark.openTask(target))
          })
        )
        const error = yield* Effect.flip(
          Runner.run(protocol, { stages: { peek } }).pipe(
            Effect.provide(fakeBenchmark(3)),
            Effect.provide(fakeLearner())
          )
        )
        expect(error._tag).toBe("BenchmarkError")
        expect(error.message).toMatch(/can open only its own task/)
      }
      for (const open of [(b: BenchmarkService) => b.openJoint, (b: BenchmarkService) => b.openTestSet("unseen")]) {
        const peek = Stage.make("peek", () =>
          Effect.gen(function* () {
            const b = yield* Benchmark
            return yield* Effect.scoped(open(b))
          })
        )
        const error = yield* Effect.flip(
          Runner.run(protocol, { stages: { peek } }).pipe(
            Effect.provide(fakeBenchmark(3)),
            Effect.provide(fakeLearner())
          )
        )
        expect(error.message).toMatch(/can open only its own task/)
      }
    })
  )
})

describe("the classifier grows with the tasks", () => {
  it.effect(
    "after task t it has the identities of tasks 0..t; the task's labels and the old model's logits know no later class",
    () =>
      Effect.gen(function* () {
        const protocol = yield* ProtocolFile.make({
          ...toy,
          stages: [
            { kind: "custom", name: "before" },
            { kind: "train" },
            { kind: "custom", name: "after" },
            { kind: "snapshot" }
          ]
        })
        const seen: Array<{
          task: number
          classes: number
          logits: number
          labels: Array<number>
          oldLogits: number | undefined
        }> = []
        const probe = (when: string) =>
          Stage.make(when, (ctx) =>
            Effect.gen(function* () {
              const handle = ReidLearner.modelOf(ctx.model)
              const payload = (yield* TaskData.read(ctx.data, when)) as TrainPayload
              const x = tf.zeros([2, 16, 8, 3]) as tf.Tensor4D
              const out = handle.model.forward(x, { training: false })
              const oldLogits = Option.isSome(ctx.oldModel)
                ? ReidLearner.frozenOf(ctx.oldModel.value).model.forward(x).logits?.shape[1]
                : undefined
              if (when === "after") {
                seen.push({
                  task: ctx.task.index,
                  classes: handle.classes,
                  logits: out.logits!.shape[1],
                  labels: [...payload.labels.values()].sort((a, b) => a - b),
                  oldLogits
                })
              }
              tf.dispose([x, out.features, out.neckFeatures, ...(out.logits === undefined ? [] : [out.logits])])
              return null
            })
          )
        const result = yield* Runner.run(protocol, { stages: { before: probe("before"), after: probe("after") } }).pipe(
          Effect.provide(Lifelong.layer(protocol))
        )
        expect(result.layout.tasks).toBe(2)
        // task 1: 5 identities; task 2: 7 more
        expect(seen.map((s) => [s.task, s.classes, s.logits])).toEqual([
          [0, 5, 5],
          [1, 12, 12]
        ])
        expect(seen[0]!.labels).toEqual([0, 1, 2, 3, 4])
        expect(seen[1]!.labels).toEqual(Array.from({ length: 12 }, (_, i) => i))
        // LwF reads the old model's head: exactly the old classes
        expect(seen[1]!.oldLogits).toBe(5)
      }).pipe(Effect.provide(backend))
  )
})

describe("the inter-domain benchmark", () => {
  it.effect(
    "each seen test set is bound to its task's domain: held-out identities of the same world, rendered in its domain",
    () =>
      Effect.gen(function* () {
        const protocol = yield* ProtocolFile.make(toy)
        const sequence = yield* ReidBenchmark.sequenceOf(protocol)
        const mean = (items: ReadonlyArray<Item.Item>) => {
          const acc = [0, 0, 0]
          for (const item of items) {
            if (item.source._tag !== "Rendered") throw new Error("rendered expected")
            const img = item.source.render(16, 8)
            for (let i = 0; i < img.data.length; i += 3) for (let c = 0; c < 3; c++) acc[c]! += img.data[i + c]!
          }
          const n = items.length * 16 * 8
          return acc.map((a) => a / n)
        }
        const dist = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => Math.hypot(...a.map((x, i) => x - b[i]!))
        for (const [t, task] of sequence.tasks.entries()) {
          const test = [...task.test.query, ...task.test.gallery]
          expect(new Set(test.map((i) => i.domain))).toEqual(new Set([task.domain]))
          const trainIds = new Set(sequence.tasks.flatMap((k) => k.identities))
          for (const item of test) expect(trainIds.has(item.id)).toBe(false)
          // the test images look like their own task's training images more than like the other task's
          const other = sequence.tasks[1 - t]!
          expect(dist(mean(test), mean(task.train))).toBeLessThan(dist(mean(test), mean(other.train)))
        }
        expect(new Set(sequence.unseen.query.map((i) => i.domain))).toEqual(new Set(["viper"]))
      })
  )

  it.effect("the pretraining is computed once, cached by its config, and every model starts from it", () =>
    Effect.gen(function* () {
      const cacheDir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-pretrain-")))
      const input: ProtocolInput = {
        ...toy,
        pretraining: {
          world: { kind: "synthetic", domain: "source", identities: 12, cameras: 2, imagesPerCamera: 2, seed: 4 },
          epochs: 1,
          batchesPerEpoch: 2
        }
      }
      const protocol = yield* ProtocolFile.make(input)
      const events: Array<boolean> = []
      const weights: Array<Float32Array> = []
      const createTwice = (p: typeof protocol, seeds: ReadonlyArray<number>) =>
        Effect.gen(function* () {
          const learner = yield* Learner
          for (const seed of seeds) {
            yield* Effect.scoped(
              Effect.gen(function* () {
                const method: MethodSpec = {
                  name: "m",
                  sampler: { kind: "pk", identities: 2, instances: 2 },
                  terms: [{ loss: "tripletBatchHard", margin: 0.3, weight: 1 }],
                  joint: false
                }
                const handle = yield* learner.create({ protocol: p, method, classes: 3 })
                const model = ReidLearner.modelOf(handle).model
                weights.push(Float32Array.from(model.variables.get([...model.variables.keys()][0]!)!.dataSync()))
              })
            ).pipe(Effect.provideService(Learner, learner), Rng.withSeed(seed))
          }
        }).pipe(Effect.provide(Lifelong.layer(p, { cacheDir, onPretraining: (e) => events.push(e.computed) })))
      yield* createTwice(protocol, [0, 1])
      // a second learner (another process would be the same) reuses the cached weights
      yield* createTwice(protocol, [2])
      expect(events).toEqual([true, false, false])
      // every seed's model starts from the same pretrained backbone (the first variable is a stem convolution)
      expect(Array.from(weights[1]!)).toEqual(Array.from(weights[0]!))
      expect(Array.from(weights[2]!)).toEqual(Array.from(weights[0]!))
      // another pretraining config is another cache entry
      const longer = yield* ProtocolFile.make({ ...input, pretraining: { ...input.pretraining!, epochs: 2 } })
      expect(Pretraining.key(longer)).not.toBe(Pretraining.key(protocol))
      const entries = yield* Effect.promise(() => fs.readdir(path.join(cacheDir, "pretraining")))
      expect(entries).toEqual([Pretraining.key(protocol)])
      yield* Effect.promise(() => fs.rm(cacheDir, { recursive: true, force: true }))
    }).pipe(Effect.provide(backend))
  )

  it.effect(
    "the demo's test sets hold three times its tasks' identities, and enlarging them leaves the training data as it was",
    () =>
      Effect.gen(function* () {
        const demo = yield* ProtocolFile.make(Demo.protocol)
        const sequence = yield* ReidBenchmark.sequenceOf(demo)
        const ids = (items: ReadonlyArray<Item.Item>) => new Set(items.map((i) => i.id))
        expect(sequence.tasks.map((t) => [t.domain, t.identities.length, ids(t.test.query).size])).toEqual([
          ["market", 30, 90],
          ["cuhksysu", 24, 72],
          ["duke", 30, 90],
          ["msmt", 30, 90]
        ])
        // every test identity has a query in each of its 3 cameras and is in the gallery
        for (const t of sequence.tasks) {
          expect(t.test.query.length).toBe(3 * ids(t.test.query).size)
          expect(ids(t.test.gallery)).toEqual(ids(t.test.query))
        }
        expect(ids(sequence.unseen.query).size).toBe(4 * 24)
        // the same benchmark with the earlier, smaller test sets (as many test identities as training ones)
        const split = Demo.protocol.data.split
        if (split.kind !== "interDomain") throw new Error("inter-domain expected")
        const smaller = yield* ProtocolFile.make({
          ...Demo.protocol,
          data: {
            split: { ...split, sequence: split.sequence.map((t) => ({ ...t, testIdentities: t.identities })) }
          }
        })
        const before = yield* ReidBenchmark.sequenceOf(smaller)
        const key = (i: Item.Item) => `${i.id}/${i.source._tag === "Rendered" ? i.source.key : ""}`
        for (const [k, t] of sequence.tasks.entries()) {
          const old = before.tasks[k]!
          expect(t.train.map(key)).toEqual(old.train.map(key))
          const pixels = (i: Item.Item) =>
            i.source._tag === "Rendered" ? Array.from(i.source.render(48, 24).data) : []
          expect(pixels(t.train[0]!)).toEqual(pixels(old.train[0]!))
          // the earlier test set is part of the larger one
          for (const id of ids(old.test.query)) expect(ids(t.test.query).has(id)).toBe(true)
        }
      })
  )

  it("identities both trained on and tested on are a typed error naming them", () => {
    const item = (id: number, domain: string) => ({
      source: { _tag: "File" as const, path: `${id}.jpg` },
      id,
      cam: 0,
      domain
    })
    const sequence = {
      name: "leaky",
      tasks: [
        {
          index: 0,
          name: "a",
          domain: "a",
          identities: [1, 2],
          train: [item(1, "a"), item(2, "a")],
          test: { name: "a/test", query: [item(2, "a")], gallery: [item(3, "a")] }
        }
      ],
      unseen: { name: "unseen", query: [item(4, "u")], gallery: [item(1, "u")] }
    }
    expect(ReidBenchmark.sharedIdentities(sequence)).toEqual([
      { id: 2, task: "a", testSet: "a/test" },
      { id: 1, task: "a", testSet: "unseen" }
    ])
    const error = new ReidBenchmark.SharedIdentities({ shared: ReidBenchmark.sharedIdentities(sequence) })
    expect(error.message).toMatch(
      /^2 identities are both trained on and tested on: 2 \(trained in a, tested in a\/test\), 1 \(trained in a, tested in unseen\)/
    )
    expect(
      ReidBenchmark.sharedIdentities({ ...sequence, tasks: [{ ...sequence.tasks[0]!, identities: [5] }] })
    ).toEqual([])
  })
})
