/** The interrupt-and-resume check of Checkpoint.test.ts on the wasm backend (threaded when available). */
import { describe, expect, it } from "@effect/vitest"
import { Objective } from "@reidfx/metric"
import { Model } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import { Deferred, Effect, Fiber } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { LearningRate, Optimizer, Progress, Trainer } from "../src/index.ts"
import { crossEntropy, source, tinyModel } from "./fixtures.ts"

const learner = (initSeed: number) =>
  Effect.gen(function* () {
    const model = yield* Model.make(tinyModel).pipe(Rng.withSeed(initSeed))
    const objective = yield* Objective.make(crossEntropy)
    const optimizer = yield* Optimizer.make({ kind: "sgd", nesterov: true })
    const config = yield* LearningRate.decodeConfig({
      learningRate: 1e-2,
      warmup: { epochs: 1 },
      decay: { kind: "multistep", milestones: [2] }
    })
    return {
      name: "model",
      model,
      objective,
      optimizer,
      schedule: LearningRate.make(config, { stepsPerEpoch: 3, totalEpochs: 3 }).at
    } satisfies Trainer.Learner
  })
const fit = (l: Trainer.Learner, checkpoint?: string) =>
  Trainer.fit({
    learners: [l],
    source: source(3),
    epochs: 3,
    ...(checkpoint === undefined ? {} : { checkpoint: { path: checkpoint, everySteps: 2 } })
  })
const values = (l: Trainer.Learner) => [...l.model.variables].map(([k, v]) => [k, Array.from(v.dataSync())] as const)

describe("resume on wasm", () => {
  it.effect("interrupted at step 5 and resumed: bitwise the same weights as the uninterrupted run", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-wasm-resume-")))
      const file = path.join(dir, "run.ckpt")
      const reference = yield* Effect.scoped(Effect.flatMap(learner(1), (l) => Effect.map(fit(l), () => values(l))))
      const reached = yield* Deferred.make<void>()
      const stop: Progress.ProgressService = {
        ...Progress.silent,
        step: (r) =>
          r.index === 5 ? Deferred.succeed(reached, undefined).pipe(Effect.andThen(Effect.never)) : Effect.void
      }
      const fiber = yield* Effect.forkChild(
        Effect.scoped(Effect.flatMap(learner(1), (l) => fit(l, file))).pipe(
          Effect.provideService(Progress.Progress, stop)
        )
      )
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const resumed = yield* Effect.scoped(
        Effect.flatMap(learner(7), (l) => Effect.map(fit(l, file), (s) => [s.resumedAt, values(l)] as const))
      )
      expect(resumed[0]).toBe(4)
      reference.forEach(([k, v], i) => {
        expect(resumed[1][i]![1], k).toEqual(v)
      })
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(Rng.withSeed(3), Effect.provide(Backend.layerWasm))
  )
})
