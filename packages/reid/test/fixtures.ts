/**
 * A small fake benchmark and learner: the engine's tests run on them in milliseconds. The fake model is four
 * numbers; training task t raises w[t] by a seeded random amount and shrinks the others (forgetting);
 * metrics are monotone functions of w. Everything draws from `Rng`, like the real learner.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Rng } from "@reidfx/tensor"
import { Effect, Layer, Option } from "effect"
import { Benchmark as Benchmarks, Learner as Learners, TaskData } from "@reidfx/continual"
import type { MethodSpec, Protocol, TermSpec } from "../src/Protocol.ts"
import * as ReidMethods from "../src/ReidMethods.ts"

const { Benchmark } = Benchmarks
const { Learner, LearnerError } = Learners
type TestSetInfo = Benchmarks.TestSetInfo

export interface FakeModel {
  readonly w: Array<number>
}

export const fakeTestSets = (tasks: number): ReadonlyArray<TestSetInfo> => [
  ...Array.from({ length: tasks }, (_, t) => ({
    name: `task-${t + 1}`,
    kind: "seen" as const,
    task: t,
    queries: 10,
    gallery: 20
  })),
  { name: "unseen", kind: "unseen" as const, queries: 10, gallery: 20 }
]

export const fakeBenchmark = (tasks = 3) =>
  Layer.succeed(Benchmark, {
    name: "fake",
    tasks: Array.from({ length: tasks }, (_, t) => ({ index: t, name: `task-${t + 1}`, identities: 5, images: 40 })),
    testSets: fakeTestSets(tasks),
    totalIdentities: 5 * tasks,
    openTask: (task: number) => Effect.succeed({ tasks: [task] }),
    openJoint: Effect.succeed({ tasks: Array.from({ length: tasks }, (_, t) => t) }),
    openTestSet: (name: string) => Effect.succeed({ name })
  })

/** Counters the tests read: calls per operation, and a hook to fail a given call. */
export interface FakeControl {
  trainCalls: number
  failOnTrainCall: number | undefined
  evaluateCalls: number
  failOnEvaluateCall: number | undefined
  frozen: Array<FakeModel>
}

export const makeControl = (): FakeControl => ({
  trainCalls: 0,
  failOnTrainCall: undefined,
  evaluateCalls: 0,
  failOnEvaluateCall: undefined,
  frozen: []
})

const sig = (x: number) => x / (1 + x)

/** The fake learner, with the lifelong ReID methods (`ReidMethods`) the protocols of the tests name. */
export const fakeLearner = (control: FakeControl = makeControl()) =>
  Layer.merge(fakeLearnerOnly(control), ReidMethods.layer)

const fakeLearnerOnly = (control: FakeControl) =>
  Layer.succeed(
    Learner,
    Learners.typed<FakeModel, FakeModel, Protocol, MethodSpec, TermSpec>({
      create: () =>
        Effect.gen(function* () {
          const rng = yield* Rng.stream("init")
          const model: FakeModel = { w: [0, 1, 2, 3].map(() => 0.1 * rng.nextFloat()) }
          return Learners.modelHandle(model)
        }),
      train: (input) =>
        Effect.gen(function* () {
          control.trainCalls++
          if (control.failOnTrainCall === control.trainCalls) {
            return yield* new LearnerError({ operation: "train", cause: new Error("injected failure") })
          }
          const payload = (yield* TaskData.read(input.data, "train")) as { tasks: ReadonlyArray<number> }
          const model = input.model.value
          const rng = yield* Rng.stream("sampling")
          const distill =
            input.terms.some((t) => t.loss === "dwopp" || t.loss === "lwf") && Option.isSome(input.oldModel)
          for (let i = 0; i < model.w.length; i++)
            if (!payload.tasks.includes(i)) model.w[i] = model.w[i]! * (distill ? 0.9 : 0.5)
          for (const t of payload.tasks) model.w[t] = model.w[t]! + 1 + rng.nextFloat()
          yield* input.onProgress({ epoch: 1, epochs: 1, step: 1, steps: 1, loss: 1, terms: {}, imagesPerSecond: 1 })
          return {
            steps: 1,
            images: 40,
            seconds: 0,
            finalLoss: 1 / (1 + model.w[payload.tasks[0]!]!),
            finalTerms: {},
            formula: "fake"
          }
        }),
      snapshot: (model) =>
        Effect.sync(() => {
          const copy: FakeModel = Object.freeze({
            w: Object.freeze([...model.value.w]) as Array<number>
          })
          control.frozen.push(copy)
          return Learners.frozenHandle(copy)
        }),
      evaluate: ({ model, testSet }) =>
        Effect.suspend(() => {
          control.evaluateCalls++
          if (control.failOnEvaluateCall === control.evaluateCalls) {
            return Effect.fail(new LearnerError({ operation: "evaluate", cause: new Error("injected failure") }))
          }
          const w = model.value.w
          const x = testSet.task === undefined ? w.reduce((a, b) => a + b, 0) / 8 : w[testSet.task]!
          return Effect.succeed({
            mAP: sig(x),
            mINP: sig(x) / 2,
            cmc: Array.from({ length: 10 }, (_, k) => Math.min(1, sig(x) + 0.05 * k))
          })
        }),
      save: (model, directory) =>
        Effect.tryPromise({
          try: () => fs.writeFile(path.join(directory, "w.json"), JSON.stringify(model.value.w)),
          catch: (cause) => new LearnerError({ operation: "save", cause })
        }),
      load: (model, directory) =>
        Effect.tryPromise({
          try: async () => {
            const w = JSON.parse(await fs.readFile(path.join(directory, "w.json"), "utf8")) as Array<number>
            const m = model.value
            w.forEach((v, i) => {
              m.w[i] = v
            })
          },
          catch: (cause) => new LearnerError({ operation: "load", cause })
        })
    })
  )
