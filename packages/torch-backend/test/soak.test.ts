/**
 * The fast form of `scripts/soak.ts` (2,000 steps, RSS): 30 training steps of a reidfx model on torch through the
 * fused kernels (training BatchNorm forward and backward, one `ReidfxAdam` per variable) keep tfjs's tensor count,
 * the backend's data ids and the addon's own allocation counter (live libtorch tensors and bytes) exactly flat,
 * checked after every step.
 */
import { Model } from "@reidfx/model"
import { Backend, FusedKernels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadAddon } from "../src/index.ts"
import { available, reportSkip, values } from "./torch.ts"

const scope = Effect.runSync(Scope.make())
let model: Model.TrainableModel

beforeAll(async () => {
  if (!available) return
  await Effect.runPromise(Layer.buildWithScope(Backend.layerTorch, scope))
  model = await Effect.runPromise(
    Scope.provide(
      Model.make({
        backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
        head: { classes: 5, neck: "bnneck", embedding: 6 }
      }),
      scope
    )
  )
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

reportSkip()

describe.skipIf(!available)("memory over training steps on torch", () => {
  it("30 steps through the fused BatchNorm and Adam kernels: tensors, data ids and libtorch tensors / bytes flat after every step", async () => {
    await tf.setBackend("torch")
    const addon = loadAddon()
    const images = tf.tensor4d(values([4, 16, 8, 3], 7), [4, 16, 8, 3])
    const index = tf.tensor1d([0, 8, 11, 19], "int32") // labels 0, 3, 1, 4 of 5 classes, flattened
    const variables = model.trainableVariables
    const slots: Array<{ m: tf.Tensor; v: tf.Tensor }> = variables.map((v) => ({
      m: tf.keep(tf.zerosLike(v)),
      v: tf.keep(tf.zerosLike(v))
    }))
    let kernelsRan = 0
    const step = (t: number): number => {
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(images, { training: true })
        return tf.neg(tf.mean(tf.gather(tf.reshape(tf.logSoftmax(out.logits!), [-1]), index))) as tf.Scalar
      }, [...variables])
      variables.forEach((variable, i) => {
        const slot = slots[i]!
        const next = FusedKernels.adamStep(variable, grads[variable.name]!, slot.m, slot.v, {
          lr: 0.01,
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-8,
          weightDecay: 5e-4,
          decoupled: false,
          t
        })
        if (next === undefined) return
        kernelsRan++
        variable.assign(next.param)
        tf.dispose([next.param, slot.m, slot.v])
        slot.m = next.m
        slot.v = next.v
      })
      const loss = value.dataSync()[0]!
      tf.dispose([value, ...Object.values(grads)])
      return loss
    }
    const counts = () => {
      const stats = addon.stats()
      return [tf.memory().numTensors, tf.engine().backend.numDataIds(), stats.liveTensors, stats.liveBytes]
    }
    const first = step(1)
    const steady = counts()
    let last = first
    for (let t = 2; t <= 30; t++) {
      last = step(t)
      expect(counts(), `step ${t}`).toEqual(steady)
    }
    expect(kernelsRan).toBe(30 * variables.length)
    expect(last).toBeLessThan(first)
    tf.dispose([images, index, ...slots.flatMap((s) => [s.m, s.v])])
  })
})
