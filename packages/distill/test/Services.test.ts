import * as tf from "@tensorflow/tfjs-core"
import { type ModelOutputs, Objective, type Step } from "@reidfx/metric"
import { noLeaks, noLeaksEffect } from "@reidfx/tensor/testing"
import { Effect, Exit, Layer, Scope } from "effect"
import { describe, expect, it } from "vitest"
import {
  detach,
  FrozenModel,
  logitsKD,
  metricMutual,
  mutualLogitsKD,
  OldModel,
  pairwiseDistance,
  Peer,
  Source,
  Teacher,
  untaped
} from "../src/index.ts"
import { useCpu } from "./setup.ts"

useCpu()

/** A linear model `x W` with logits `x W V`, on trainable variables. */
const linear = (seed: number) => {
  const w = tf.variable(tf.randomNormal([4, 3], 0, 1, "float32", seed))
  const v = tf.variable(tf.randomNormal([3, 2], 0, 1, "float32", seed + 1))
  const forward = (x: tf.Tensor): ModelOutputs => {
    const features = tf.matMul(x as tf.Tensor2D, w) as tf.Tensor2D
    return { features, logits: tf.matMul(features, v) }
  }
  return { w, v, forward, variables: [w, v] }
}

const step = (outputs: Step["outputs"], inputs: tf.Tensor, labels: tf.Tensor1D, extra: Partial<Step> = {}): Step => ({
  outputs,
  inputs,
  labels,
  index: 0,
  ...extra
})

describe("Teacher / OldModel / Peer", () => {
  it("a teacher's forward is off the tape: even trainable teacher variables get no gradient and never change", async () => {
    const teacher = linear(1)
    const student = linear(2)
    const inputs = tf.randomNormal([6, 4], 0, 1, "float32", 3)
    const labels = tf.tensor1d([0, 0, 1, 1, 0, 1], "int32")
    const objective = await Effect.runPromise(
      Objective.make(logitsKD({ temperature: 2 }), pairwiseDistance({ reduction: "mean" })).pipe(
        Effect.provide(Teacher.fromForward(teacher.forward, { weights: teacher.variables }))
      )
    )
    const before = teacher.variables.map((x) => Array.from(x.dataSync()))
    const studentBefore = Array.from(student.w.dataSync())
    // every trainable variable in the registry, the teacher's included: the worst case for a trainer
    const optimizer = tf.train.adam(0.1)
    const train = (i: number) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => objective.compute(step(student.forward(inputs), inputs, labels, { index: i })).total
        )
        expect(grads[teacher.w.name]).toBeUndefined()
        expect(grads[teacher.v.name]).toBeUndefined()
        optimizer.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>)
        value.dispose()
      })
    train(0) // Adam creates its moment variables at the first step
    noLeaks(() => [1, 2, 3].forEach(train), "training steps")
    expect(teacher.variables.map((x) => Array.from(x.dataSync()))).toEqual(before)
    expect(Array.from(student.w.dataSync())).not.toEqual(studentBefore)
    optimizer.dispose()
    tf.dispose([...teacher.variables, ...student.variables, inputs, labels])
  })

  it("memoises the forward per inputs tensor, recomputing after disposal", () => {
    let calls = 0
    const frozen = FrozenModel.make((x) => {
      calls++
      return { features: tf.mul(x, 2) as tf.Tensor2D }
    })
    const x = tf.ones([2, 2])
    tf.tidy(() => {
      const a = frozen.forward(x)
      const b = frozen.forward(x)
      expect(a).toBe(b)
    })
    expect(calls).toBe(1)
    noLeaks(() => tf.tidy(() => void frozen.forward(x)))
    expect(calls).toBe(2)
    x.dispose()
  })

  it("a snapshot copies the variables (later training does not change it) and is released with its Scope", async () => {
    const model = linear(5)
    const x = tf.ones([1, 4])
    const program = Effect.gen(function* () {
      const scope = yield* Scope.make()
      const frozen = yield* FrozenModel.snapshot(model.variables, ([w, v], inputs): ModelOutputs => {
        const features = tf.matMul(inputs as tf.Tensor2D, w as tf.Tensor2D) as tf.Tensor2D
        return { features, logits: tf.matMul(features, v as tf.Tensor2D) }
      }).pipe(Scope.provide(scope))
      const before = tf.tidy(() => frozen.forward(x).features.arraySync())
      tf.tidy(() => model.w.assign(tf.zerosLike(model.w)))
      expect(tf.tidy(() => frozen.forward(x).features.arraySync())).toEqual(before)
      expect(frozen.weights.every((t) => t instanceof tf.Variable && !(t as tf.Variable).trainable)).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(frozen.weights.every((t) => t.isDisposed)).toBe(true)
    })
    await Effect.runPromise(noLeaksEffect(program, "snapshot"))
    tf.dispose([...model.variables, x])
  })

  it("wraps any model with a forward (fromModel), in inference mode", () => {
    const seen: Array<boolean | undefined> = []
    const weights = new Map([["w", tf.ones([2, 2])]])
    const frozen = FrozenModel.fromModel(
      {
        forward: (x: tf.Tensor2D, options) => {
          seen.push(options?.training)
          return { features: tf.matMul(x, weights.get("w")!) }
        },
        weights: () => weights
      },
      { name: "snapshot" }
    )
    const x = tf.ones([1, 2])
    expect(tf.tidy(() => frozen.forward(x).features.arraySync())).toEqual([[2, 2]])
    expect(seen).toEqual([false])
    expect(frozen.name).toBe("snapshot")
    expect(frozen.weights).toHaveLength(1)
    tf.dispose([x, weights.get("w")!])
  })

  it("untaped and detach stop gradients; detach shares memory and disposing it keeps the original", () => {
    const x = tf.variable(tf.tensor1d([1, 2, 3]))
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.add(
            tf.square(x),
            tf.mul(
              detach(x),
              untaped(() => tf.mul(x, 10))
            )
          )
        ) as tf.Scalar,
      [x]
    )
    // d/dx sum(x^2 + const) = 2x
    expect(Array.from(grads[x.name]!.dataSync())).toEqual([2, 4, 6])
    tf.tidy(() => void detach(x))
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3])
    tf.dispose([x, value, grads[x.name]!])
  })

  it("sources: the old model, the teacher on the peer's inputs, the peer; typed errors when the step lacks them", async () => {
    const old = linear(7)
    const inputs = tf.randomNormal([4, 4], 0, 1, "float32", 8)
    const peerInputs = tf.randomNormal([4, 4], 0, 1, "float32", 9)
    const labels = tf.tensor1d([0, 0, 1, 1], "int32")
    const layers = Layer.mergeAll(
      OldModel.fromForward(old.forward),
      Teacher.fromForward(old.forward),
      Peer.fromForward(old.forward)
    )
    const objective = await Effect.runPromise(
      Objective.make(
        logitsKD({}, Source.oldModel),
        pairwiseDistance({}, Source.teacherOnPeerInputs),
        mutualLogitsKD(),
        metricMutual()
      ).pipe(Effect.provide(layers))
    )
    expect(objective.formula).toBe(
      "1 * logitsKD(temperature=4, from=oldModel) + 1 * pairwiseDistance(distance=euclidean, reduction=sum, from=teacher(peerInputs)) + 1 * mutualLogitsKD(temperature=1, directions=both) + 1 * metricMutual(distance=euclidean, directions=both)"
    )
    noLeaks(() =>
      tf.tidy(() => {
        const outputs = old.forward(inputs)
        const peer = old.forward(peerInputs)
        // the old model on `inputs` equals the model: logitsKD = 0; the teacher on `peerInputs` equals the peer
        const value = objective.compute(step(outputs, inputs, labels, { peer, peerInputs }))
        const [kd, , mkd, mm] = value.terms.map((t) => t.value.dataSync()[0]!)
        expect(kd).toBeCloseTo(0, 6)
        expect(mkd).toBeGreaterThan(0)
        expect(mm).toBeGreaterThan(0)
        expect(() => objective.compute(step(outputs, inputs, labels))).toThrow(/peerInputs/)
        expect(() => objective.compute(step(outputs, inputs, labels, { peerInputs }))).toThrow(
          /no peer; train with the trainer's mutual step/
        )
      })
    )
    tf.dispose([...old.variables, inputs, peerInputs, labels])
  })
})
