import { assert, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Objective } from "@reidfx/metric"
import { Model, type TrainableModel } from "@reidfx/model"
import { AtomicFile, Backend, RandomStream, Rng } from "@reidfx/tensor"
import { Deferred, Effect, Fiber } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Checkpoint, LearningRate, Optimizer, Progress, Trainer } from "../src/index.ts"
import { crossEntropy, source, tinyModel } from "./fixtures.ts"

const cpu = Effect.provide(Backend.layerCpu)
const values = (m: TrainableModel) => new Map([...m.variables].map(([k, v]) => [k, Array.from(v.dataSync())]))
const tmpDir = Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-ckpt-")))

/** A learner with Adam (stateful) and a warmup schedule, initialised from `initSeed`. */
const learner = (initSeed: number) =>
  Effect.gen(function* () {
    const model = yield* Model.make(tinyModel).pipe(Rng.withSeed(initSeed))
    const objective = yield* Objective.make(crossEntropy)
    const optimizer = yield* Optimizer.make({ kind: "adamw", weightDecay: 0.01 })
    const config = yield* LearningRate.decodeConfig({
      learningRate: 1e-2,
      warmup: { epochs: 1 },
      decay: { kind: "cosine" }
    })
    const schedule = LearningRate.make(config, { stepsPerEpoch: 3, totalEpochs: 3 })
    return { name: "model", model, objective, optimizer, schedule: schedule.at, clipNorm: 5 } satisfies Trainer.Learner
  })

const fit = (l: Trainer.Learner, checkpoint?: string) =>
  Trainer.fit({
    learners: [l],
    source: source(3),
    epochs: 3,
    ...(checkpoint === undefined ? {} : { checkpoint: { path: checkpoint, everySteps: 1 } })
  })

describe("checkpoints and resume", () => {
  it.effect("a run interrupted after 4 steps and resumed from its checkpoint ends with bitwise the same weights", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      const file = path.join(dir, "run.ckpt")
      const reference = yield* Effect.scoped(
        Effect.gen(function* () {
          const l = yield* learner(1)
          const summary = yield* fit(l)
          expect(summary.steps).toBe(9)
          return values(l.model)
        })
      )

      // interrupt the fiber while it reports step 4 (its checkpoint is not written yet)
      const reached = yield* Deferred.make<void>()
      const stopAt4: Progress.ProgressService = {
        ...Progress.silent,
        step: (r) =>
          r.index === 4 ? Deferred.succeed(reached, undefined).pipe(Effect.andThen(Effect.never)) : Effect.void
      }
      const fiber = yield* Effect.forkChild(
        Effect.scoped(Effect.flatMap(learner(1), (l) => fit(l, file))).pipe(
          Effect.provideService(Progress.Progress, stopAt4)
        )
      )
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const saved = yield* Effect.scoped(Effect.map(Checkpoint.read(file), (d) => d.position))
      expect(saved).toEqual({ nextStep: 4, epoch: 1, stepInEpoch: 1 })

      // resume with a model initialised differently: everything must come from the checkpoint
      const resumed = yield* Effect.scoped(
        Effect.gen(function* () {
          const l = yield* learner(99)
          const summary = yield* fit(l, file)
          expect(summary.resumedAt).toBe(4)
          expect(summary.steps).toBe(5)
          return values(l.model)
        })
      )
      for (const [k, v] of reference) expect(resumed.get(k), k).toEqual(v)
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(Rng.withSeed(11), cpu)
  )

  it.effect(
    "a full disk (injected ENOSPC mid-write) fails with a typed error and leaves the previous checkpoint intact",
    () =>
      Effect.gen(function* () {
        const dir = yield* tmpDir
        const file = path.join(dir, "a.ckpt")
        yield* Effect.scoped(
          Effect.gen(function* () {
            const l = yield* learner(1)
            yield* Checkpoint.write(
              file,
              Checkpoint.capture([l], { nextStep: 3, epoch: 1, stepInEpoch: 0 }, [1, 2, 3, 4], { note: "first" })
            )
            const bytes = yield* Effect.promise(() => fs.readFile(file))
            // the disk fills after 100 bytes of the next write: the first 100 bytes really are written
            AtomicFile.testing.injectFault({ afterBytes: 100, code: "ENOSPC" })
            const error = yield* Effect.flip(
              Checkpoint.write(file, Checkpoint.capture([l], { nextStep: 6, epoch: 2, stepInEpoch: 0 }, [1, 2, 3, 4]))
            )
            AtomicFile.testing.injectFault(undefined)
            assert.strictEqual(error._tag, "CheckpointError")
            expect(error.message).toBe(
              `checkpoint ${file}: cannot write: no space left on the device (ENOSPC); the previous checkpoint is kept`
            )
            expect(Buffer.compare(yield* Effect.promise(() => fs.readFile(file)), bytes)).toBe(0)
            expect(yield* Effect.promise(() => fs.readdir(dir))).toEqual(["a.ckpt"])
            const data = yield* Checkpoint.read(file)
            expect(data.position.nextStep).toBe(3)
            expect(data.meta).toEqual({ note: "first" })
            expect(data.rng).toEqual([1, 2, 3, 4])
          })
        ).pipe(Effect.ensuring(Effect.sync(() => AtomicFile.testing.injectFault(undefined))))
        yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
      }).pipe(cpu)
  )

  it.effect("a checkpoint corrupted after it was written fails its checksum; read falls back to the previous one", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      const file = path.join(dir, "c.ckpt")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const l = yield* learner(1)
          yield* Checkpoint.write(
            file,
            Checkpoint.capture([l], { nextStep: 3, epoch: 1, stepInEpoch: 0 }, [1, 2, 3, 4])
          )
          yield* Checkpoint.write(
            file,
            Checkpoint.capture([l], { nextStep: 6, epoch: 2, stepInEpoch: 0 }, [1, 2, 3, 4])
          )
          expect((yield* Checkpoint.read(file)).position.nextStep).toBe(6)
          // flip one byte of the tensor data of the current file: its checksum fails, the previous one is read
          const bytes = yield* Effect.promise(() => fs.readFile(file))
          bytes[bytes.byteLength - 40] = bytes[bytes.byteLength - 40]! ^ 0xff
          yield* Effect.promise(() => fs.writeFile(file, bytes))
          expect((yield* Checkpoint.read(file)).position.nextStep).toBe(3)
          // both corrupt: a typed error saying why
          yield* Effect.promise(() => fs.writeFile(Checkpoint.previousOf(file), bytes.subarray(0, 50)))
          const error = yield* Effect.flip(Checkpoint.read(file))
          expect(error.message).toBe(
            `checkpoint ${file}: cannot read: checksum mismatch (the file is truncated or corrupt)`
          )
        })
      )
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(cpu)
  )

  it.effect("a checkpoint of another model does not fit: a typed error says what is missing", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      const file = path.join(dir, "b.ckpt")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const l = yield* learner(1)
          yield* Checkpoint.write(
            file,
            Checkpoint.capture([l], { nextStep: 0, epoch: 0, stepInEpoch: 0 }, [1, 2, 3, 4])
          )
          const other = yield* Model.make({ ...tinyModel, head: { classes: 4, neck: "bnneck", pooling: "gem" } })
          const data = yield* Checkpoint.read(file)
          const error = yield* Effect.flip(Checkpoint.restore(file, data, [{ ...l, model: other }]))
          expect(error.message).toContain("head/pool/p")
          const garbage = path.join(dir, "garbage.ckpt")
          yield* Effect.promise(() => fs.writeFile(garbage, "not a checkpoint"))
          const bad = yield* Effect.flip(Checkpoint.read(garbage))
          expect(bad.message).toContain("bad magic")
        })
      )
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(cpu)
  )
})

describe("the parameters of loss terms in checkpoints", () => {
  it.effect(
    "proxies are written and restored by their index in the objective; a checkpoint without them does not fit",
    () =>
      Effect.gen(function* () {
        const { proxyAnchor } = yield* Effect.promise(() => import("@reidfx/metric"))
        const dir = yield* tmpDir
        const file = path.join(dir, "terms.ckpt")
        const plain = path.join(dir, "plain.ckpt")
        yield* Effect.scoped(
          Effect.gen(function* () {
            const model = yield* Model.make(tinyModel)
            const objective = yield* Objective.make(
              crossEntropy,
              proxyAnchor({ classes: 4, dimension: model.featureDim })
            )
            const optimizer = yield* Optimizer.make({ kind: "sgd", momentum: 0, weightDecay: 0 })
            const l = { name: "model", model, objective, optimizer, schedule: () => 0.1 } satisfies Trainer.Learner
            const position = { nextStep: 0, epoch: 0, stepInEpoch: 0 }
            const rng = RandomStream.fromSeed(0, "x").state()
            const saved = Array.from(objective.variables![0]!.dataSync())
            yield* Checkpoint.write(file, Checkpoint.capture([l], position, rng))
            yield* Checkpoint.write(plain, Checkpoint.capture([{ name: "model", model, optimizer }], position, rng))
            const zeros = tf.zerosLike(objective.variables![0]!)
            objective.variables![0]!.assign(zeros)
            zeros.dispose()
            yield* Checkpoint.restore(file, yield* Checkpoint.read(file), [l])
            expect(Array.from(objective.variables![0]!.dataSync())).toEqual(saved)
            const error = yield* Effect.flip(Checkpoint.restore(plain, yield* Checkpoint.read(plain), [l]))
            expect(error.message).toMatch(/lacks the parameters of its loss terms \(terms\/0\)/)
          })
        )
      }).pipe(cpu)
  )
})
