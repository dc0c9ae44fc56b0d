/**
 * With the trainer of `@reidfx/train` and models of `@reidfx/model`: a frozen teacher is unchanged by training
 * steps, and a mutual pair trains both models in one step, each learning from the other.
 */
import * as tf from "@tensorflow/tfjs-core"
import { Objective } from "@reidfx/metric"
import { Model, type TrainableModel } from "@reidfx/model"
import { Backend, type BackendUnavailable, Rng } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import { NonFiniteLoss, Optimizer, Trainer } from "@reidfx/train"
import { Effect, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { logitsKD, metricMutual, mutualLogitsKD, pairwiseDistance, Peer, Teacher } from "../src/index.ts"
import { useCpu } from "./setup.ts"

useCpu()

const tiny = {
  backbone: { kind: "reference" as const, stemWidth: 4, widths: [8], blocks: [1] },
  head: { classes: 3, embedding: 8 }
}

const copyWeights = (weights: ReadonlyMap<string, tf.Tensor>) =>
  new Map([...weights].map(([k, v]) => [k, Array.from(v.dataSync())]))

const batch = (seed: number) => ({
  images: tf.randomNormal([6, 16, 8, 3], 0, 1, "float32", seed) as tf.Tensor4D,
  labels: tf.tensor1d([0, 0, 1, 1, 2, 2], "int32")
})

const learner = (name: string, model: TrainableModel, objective: Objective.ObjectiveService) =>
  Effect.map(
    Optimizer.make({ kind: "sgd", momentum: 0.9, weightDecay: 5e-4 }),
    (optimizer): Trainer.Learner => ({
      name,
      model,
      objective,
      optimizer,
      schedule: () => 0.05
    })
  )

/** Runs `self` scoped on the cpu backend (`Model.make` requires the `Backend` service). */
const scopedOnCpu = <A, E>(
  self: Effect.Effect<A, E, Scope.Scope | Backend.Backend>
): Effect.Effect<A, E | BackendUnavailable> => Effect.scoped(self).pipe(Effect.provide(Backend.layerCpu))

describe("with the trainer", () => {
  it("a frozen teacher (a snapshot, or a trainable model used as teacher) is unchanged after training steps", async () => {
    await Effect.runPromise(
      scopedOnCpu(
        Effect.gen(function* () {
          const student = yield* Model.make(tiny)
          const teacherModel = yield* Rng.withSeed(Model.make(tiny), 7)
          const snapshot = yield* teacherModel.snapshot
          const fromSnapshot = yield* Objective.make(
            logitsKD({ temperature: 2 }),
            pairwiseDistance({ reduction: "mean" })
          ).pipe(Effect.provide(Teacher.fromModel(snapshot)))
          const fromTrainable = yield* Objective.make(logitsKD({ temperature: 2 })).pipe(
            Effect.provide(Teacher.fromModel(teacherModel))
          )
          const before = copyWeights(snapshot.weights())
          const trainableBefore = copyWeights(teacherModel.weights())
          const studentBefore = copyWeights(student.weights())
          const learners = [yield* learner("student", student, fromSnapshot)]
          const alone = [yield* learner("student", student, fromTrainable)]
          const input = batch(1)
          // the optimizers create their state at their first step
          expect(Trainer.computeStep(learners, input, 0)).not.toBeInstanceOf(NonFiniteLoss)
          expect(Trainer.computeStep(alone, input, 1)).not.toBeInstanceOf(NonFiniteLoss)
          noLeaks(() => {
            for (let i = 2; i < 4; i++) {
              const report = Trainer.computeStep(i === 2 ? alone : learners, input, i)
              if (report instanceof NonFiniteLoss) throw report
              expect(Number.isFinite(report.learners[0]!.terms.logitsKD!)).toBe(true)
            }
          }, "training steps")
          expect(copyWeights(snapshot.weights())).toEqual(before)
          expect(copyWeights(teacherModel.weights())).toEqual(trainableBefore)
          expect(copyWeights(student.weights())).not.toEqual(studentBefore)
          Trainer.disposeInput(input)
        })
      )
    )
  })

  it("a mutual pair: both models train in one step, each on its own inputs, and L_MKD is the same for both", async () => {
    await Effect.runPromise(
      scopedOnCpu(
        Effect.gen(function* () {
          const a = yield* Model.make(tiny)
          const b = yield* Rng.withSeed(Model.make(tiny), 3)
          const objective = () =>
            Objective.make(mutualLogitsKD({ temperature: 2 }), metricMutual()).pipe(
              Effect.provide(Peer.fromForward((x) => b.forward(x as tf.Tensor4D), { variables: b.trainableVariables }))
            )
          const learners = [yield* learner("a", a, yield* objective()), yield* learner("b", b, yield* objective())]
          const [aBefore, bBefore] = [copyWeights(a.weights()), copyWeights(b.weights())]
          const input = [batch(5), batch(6)] as const
          const report = Trainer.computeStep(learners, input, 0)
          if (report instanceof NonFiniteLoss) throw report
          const [ra, rb] = report.learners
          expect(ra!.terms.mutualLogitsKD!).toBeGreaterThan(0)
          expect(ra!.terms.mutualLogitsKD!).toBeCloseTo(rb!.terms.mutualLogitsKD!, 5)
          expect(ra!.terms.metricMutual!).toBeCloseTo(rb!.terms.metricMutual!, 4)
          expect(copyWeights(a.weights())).not.toEqual(aBefore)
          expect(copyWeights(b.weights())).not.toEqual(bBefore)
          Trainer.disposeInput(input)
        })
      )
    )
  })
})
