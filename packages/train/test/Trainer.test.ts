import { assert, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Objective, Term } from "@reidfx/metric"
import { Model, type TrainableModel } from "@reidfx/model"
import { Backend, RandomStream, Rng } from "@reidfx/tensor"
import { Effect, Stream } from "effect"
import { Optimizer, type OptimizerConfig, Progress, Trainer } from "../src/index.ts"
import { crossEntropy, makeBatch, matchPeer, tinyModel } from "./fixtures.ts"

const cpu = Effect.provide(Backend.layerCpu)
const values = (m: TrainableModel) => new Map([...m.variables].map(([k, v]) => [k, Array.from(v.dataSync())]))

const learner = (
  name: string,
  terms: ReadonlyArray<Term.Term<never>>,
  optimizer: OptimizerConfig.OptimizerConfigInput,
  lr: number
) =>
  Effect.gen(function* () {
    const model = yield* Model.make(tinyModel)
    const objective = yield* Objective.make(...terms)
    const opt = yield* Optimizer.make(optimizer)
    return { name, model, objective, optimizer: opt, schedule: () => lr } satisfies Trainer.Learner
  })

describe("Trainer", () => {
  it.effect("the loss decreases, per-term values are reported, and no tensor leaks across steps", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const l = yield* learner("model", [crossEntropy], { kind: "adam", weightDecay: 0 }, 1e-2)
        const rng = RandomStream.fromSeed(1, "batches")
        const fixed = Array.from({ length: 3 }, () => makeBatch(rng))
        let created = 0
        const clone = (i: number) => {
          created++
          return { images: fixed[i % 3]!.images.clone(), labels: fixed[i % 3]!.labels.clone() }
        }
        // live tensors besides the batches the stream has made but the trainer not yet consumed (2 tensors each)
        const counts: Array<number> = []
        const first: Array<number> = []
        const summary = yield* Trainer.train({
          learners: [l],
          batches: Stream.range(0, 29).pipe(Stream.map(clone)),
          onStep: (r) =>
            Effect.sync(() => {
              counts.push(tf.memory().numTensors - 2 * (created - r.index - 1))
              if (r.index < 3) first.push(r.learners[0]!.loss)
            })
        })
        expect(summary.steps).toBe(30)
        expect(summary.images).toBe(240)
        expect(counts[29]).toBe(counts[2])
        const losses: Array<number> = []
        yield* Trainer.train({
          learners: [l],
          startStep: 30,
          batches: Stream.range(0, 2).pipe(Stream.map(clone)),
          onStep: (r) => Effect.sync(() => losses.push(r.learners[0]!.terms.crossEntropy!))
        })
        expect(summary.last!.learners[0]!.terms.crossEntropy).toBeTypeOf("number")
        expect(summary.last!.learners[0]!.learningRate).toBe(1e-2)
        expect(summary.last!.index).toBe(29)
        // ln 4 = 1.386 at chance level
        const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b) / xs.length
        expect(mean(first)).toBeGreaterThan(1.3)
        expect(mean(losses)).toBeLessThan(0.5 * mean(first))
        fixed.forEach((b) => {
          Trainer.disposeInput(b)
        })
      })
    ).pipe(Rng.withSeed(3), cpu)
  )

  it.effect("a non-finite loss fails with a typed error naming the step and each term, before any update", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const poison = Term.make("poison", {}, (s) => ({
          loss: s.index === 2 ? tf.scalar(Number.NaN) : tf.scalar(0.5)
        }))
        const l = yield* learner("model", [crossEntropy, poison], { kind: "sgd" }, 0.01)
        const rng = RandomStream.fromSeed(2)
        let before = new Map<string, Array<number>>()
        const error = yield* Effect.flip(
          Trainer.train({
            learners: [l],
            batches: Stream.range(0, 9).pipe(Stream.map(() => makeBatch(rng))),
            onStep: (r) =>
              Effect.sync(() => {
                if (r.index === 1) before = values(l.model)
              })
          })
        )
        assert(error._tag === "NonFiniteLoss")
        expect(error.step).toBe(2)
        expect(error.terms.poison).toBeNaN()
        expect(error.terms.crossEntropy).toBeGreaterThan(0)
        expect(error.message).toContain("step 2")
        expect(error.message).toContain("poison=NaN")
        // the weights (and BN statistics) of step 1 are untouched by the failed step's update, apart from BN
        // running statistics, which the forward pass updates like PyTorch's
        for (const [k, v] of values(l.model)) if (!k.includes("moving_")) expect(v, k).toEqual(before.get(k))
      })
    ).pipe(cpu)
  )

  it.effect("a mutual step: each learner sees the other's detached outputs and updates with its own optimizer", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const a = yield* learner(
          "student",
          [crossEntropy, matchPeer],
          { kind: "sgd", momentum: 0, weightDecay: 0 },
          0.05
        ).pipe(Rng.withSeed(1))
        const b = yield* learner("peer", [matchPeer], { kind: "sgd", momentum: 0, weightDecay: 0 }, 0).pipe(
          Rng.withSeed(2)
        )
        const rng = RandomStream.fromSeed(5)
        const batchA = makeBatch(rng)
        const batchB = makeBatch(rng)
        // reference: A's gradient with B's features as constants
        const bFeatures = tf.tidy(() => b.model.forward(batchB.images as tf.Tensor4D, { training: true }).features)
        const expected = new Map<string, Array<number>>()
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const out = a.model.forward(batchA.images as tf.Tensor4D, { training: true })
            const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(batchA.labels, 4), out.logits!)
            return tf.add(ce, tf.mean(tf.square(tf.sub(out.features, bFeatures)))) as tf.Scalar
          }, [...a.model.trainableVariables])
          for (const v of a.model.trainableVariables)
            expected.set(a.model.nameOf(v), Array.from(tf.sub(v, tf.mul(grads[v.name]!, 0.05)).dataSync()))
        })
        bFeatures.dispose()
        // undo the BN statistics updates of the reference passes
        const bBefore = values(b.model)
        const report = yield* Trainer.step([a, b], [batchA, batchB], 0)
        expect(report.learners.map((l) => l.name)).toEqual(["student", "peer"])
        expect(report.images).toBe(16)
        expect(report.learners[1]!.terms.matchPeer).toBeCloseTo(report.learners[0]!.terms.matchPeer!, 5)
        for (const [k, v] of expected) {
          const got = Array.from(a.model.variables.get(k)!.dataSync())
          got.forEach((x, i) => {
            expect(x).toBeCloseTo(v[i]!, 5)
          })
        }
        // lr 0: the peer's parameters do not move
        for (const [k, v] of values(b.model)) if (!k.includes("moving_")) expect(v, k).toEqual(bBefore.get(k))
        expect(batchA.images.isDisposed).toBe(true)
      })
    ).pipe(cpu)
  )

  it.effect("the terminal reporter writes plain lines when not on a TTY", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const lines: Array<string> = []
        const out = { isTTY: false, write: (t: string) => lines.push(t) }
        const l = yield* learner("model", [crossEntropy], { kind: "sgd" }, 0.01)
        const rng = RandomStream.fromSeed(4)
        yield* Trainer.train({
          learners: [l],
          totalSteps: 4,
          label: "demo",
          batches: Stream.range(0, 3).pipe(Stream.map(() => makeBatch(rng)))
        }).pipe(Effect.provideService(Progress.Progress, Progress.terminal({ out, everySteps: 2 })))
        expect(lines[0]).toBe("demo: 4 steps\n")
        expect(lines.length).toBe(3)
        expect(lines[1]).toMatch(
          /^demo epoch 1\/1 step 2\/4 loss \d\.\d{4} \(crossEntropy \d\.\d{4}\) lr 1\.00e-2 [\d.]+ img\/s ETA/
        )
      })
    ).pipe(cpu)
  )
})

describe("Trainer errors", () => {
  it.effect("a term that throws fails the step with StepFailed naming the step; the batch is still disposed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const broken = Term.make("broken", {}, () => {
          throw new Error("labels out of range")
        })
        const l = yield* learner("model", [broken], { kind: "sgd" }, 0.01)
        const batch = makeBatch(RandomStream.fromSeed(1))
        const error = yield* Effect.flip(Trainer.step([l], batch, 7))
        assert.strictEqual(error._tag, "StepFailed")
        expect(error.message).toBe("training step 7 failed: labels out of range")
        expect(batch.images.isDisposed).toBe(true)
      })
    ).pipe(cpu)
  )

  it.effect("a learner's forward gets the batch's side inputs (keypoints, named ones); the trainer disposes them", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const l = yield* learner("model", [crossEntropy], { kind: "sgd" }, 0.01)
        const seen: Array<{ keypoints: ReadonlyArray<number>; mask: ReadonlyArray<number> | undefined }> = []
        yield* Trainer.step([l], makeBatch(RandomStream.fromSeed(1)), 0) // the optimizer's state is made once
        const before = tf.memory().numTensors
        const batch = makeBatch(RandomStream.fromSeed(2))
        const n = batch.labels.shape[0]
        const keypoints = tf.tensor2d(
          Float32Array.from({ length: n * 51 }, (_, i) => i),
          [n, 51]
        )
        const mask = tf.ones([n, 2])
        yield* Trainer.step(
          [
            {
              ...l,
              forward: (x, training, side) => {
                seen.push({
                  keypoints: Array.from(side.keypoints!.dataSync().slice(0, 3)),
                  mask: side.side?.mask?.shape
                })
                return l.model.forward(x as tf.Tensor4D, { training })
              }
            }
          ],
          { ...batch, keypoints, side: { mask } },
          1
        )
        expect(seen).toEqual([{ keypoints: [0, 1, 2], mask: [n, 2] }])
        expect([keypoints.isDisposed, mask.isDisposed, batch.images.isDisposed]).toEqual([true, true, true])
        expect(tf.memory().numTensors).toBe(before)
      })
    ).pipe(cpu)
  )
})

describe("Trainer non-finite gradients", () => {
  it.effect("a finite loss with an infinite gradient also stops the step (reported as gradientNorm)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // sqrt at 0 has an infinite derivative: the loss is finite (0), its gradient is not
        const spike = Term.make("spike", {}, (s) => ({
          loss: tf.sqrt(tf.sum(tf.mul(s.outputs.features, 0))) as tf.Scalar
        }))
        const l = yield* learner("model", [spike], { kind: "sgd" }, 0.01)
        const before = values(l.model)
        const error = yield* Effect.flip(Trainer.step([l], makeBatch(RandomStream.fromSeed(1)), 3))
        assert(error._tag === "NonFiniteLoss")
        expect(error.terms.spike).toBe(0)
        expect(Number.isFinite(error.terms.gradientNorm!)).toBe(false)
        for (const [k, v] of values(l.model)) if (!k.includes("moving_")) expect(v, k).toEqual(before.get(k))
      })
    ).pipe(cpu)
  )
})

describe("terminal progress on a TTY", () => {
  it.effect("redraws one line with a bar, losses, images/s and ETA, and ends it with a newline", () =>
    Effect.gen(function* () {
      const writes: Array<string> = []
      const p = Progress.terminal({ out: { isTTY: true, columns: 200, write: (t: string) => writes.push(t) } })
      yield* p.start({ label: "run", totalSteps: 4, startStep: 0 })
      const report = {
        index: 0,
        images: 64,
        seconds: 0.5,
        learners: [
          { name: "model", loss: 1.5, terms: { ce: 1, triplet: 0.5 }, stats: {}, learningRate: 1e-3, gradNorm: 1 }
        ]
      }
      yield* p.step(report, { step: 0, totalSteps: 4, epoch: 0, totalEpochs: 2 })
      yield* p.step({ ...report, index: 1 }, { step: 1, totalSteps: 4, epoch: 0, totalEpochs: 2 })
      yield* p.end()
      expect(writes[0]).toMatch(
        /^\rrun \[######\.+\] epoch 1\/2 step 1\/4 loss 1\.5000 \(ce 1\.0000, triplet 0\.5000\) lr 1\.00e-3 128\.0 img\/s ETA \d+:\d\d/
      )
      expect(writes[1]).toContain("[############............] epoch 1/2 step 2/4")
      expect(writes[0]!.length).toBe(200)
      expect(writes[2]).toBe("\n")
    })
  )
})
