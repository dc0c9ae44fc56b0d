/**
 * A whole reidfx model on torch: the same gradients as on cpu; training keeps tfjs's tensor count, the backend's
 * data ids and the addon's live libtorch tensors flat.
 */
import { Model } from "@reidfx/model"
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadAddon } from "../src/index.ts"
import { available, relativeError, reportSkip, values } from "./torch.ts"

const tiny = {
  backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  head: { classes: 5, neck: "bnneck", embedding: 6 }
} as const
const labels = [0, 3, 1, 3]
const scope = Effect.runSync(Scope.make())
let model: Model.TrainableModel

beforeAll(async () => {
  if (!available) return
  const torch = await Effect.runPromise(Layer.buildWithScope(Backend.layerTorch, scope))
  model = await Effect.runPromise(Scope.provide(Model.make(tiny).pipe(Effect.provideContext(torch)), scope))
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

/** Cross-entropy through gather plus a squared-distance term on the features: -mean log p(label) + mean |f|^2 / 100. */
const loss = () => {
  const images = tf.tensor4d(values([4, 16, 8, 3], 1), [4, 16, 8, 3])
  const out = model.forward(images, { training: true })
  const flat = tf.reshape(tf.logSoftmax(out.logits!), [-1])
  const index = tf.tensor1d(
    labels.map((l, i) => i * 5 + l),
    "int32"
  )
  return tf.add(
    tf.neg(tf.mean(tf.gather(flat, index))),
    tf.div(tf.mean(tf.sum(tf.square(out.features), 1)), 100)
  ) as tf.Scalar
}

reportSkip()

describe.skipIf(!available)("a reidfx model on the torch backend", () => {
  // torch trains BatchNorm with the fused kernel (ATen's batch-norm backward through the statistics), cpu with the
  // model's closed form: the same formula summed in another order. Each kernel agrees within 1e-4 (fused.test.ts);
  // through the model's six BatchNorm backward passes, whose dx is a difference of nearly equal sums, the deepest
  // gradients reach about 1.2e-4, so the whole-model bound is 3e-4.
  it("has the same gradients on torch as on cpu (every trainable variable, relative error <= 3e-4)", async () => {
    const variables = model.trainableVariables
    const gradsOn = async (backend: "torch" | "cpu") => {
      await tf.setBackend(backend)
      const grads = tf.tidy(() => {
        const { grads: byName } = tf.variableGrads(loss, [...variables])
        return variables.map((v) => byName[v.name]!)
      })
      const out = grads.map((g) => ({ data: Float32Array.from(g.dataSync()), shape: g.shape, dtype: g.dtype }))
      tf.dispose(grads)
      return out
    }
    const torch = await gradsOn("torch")
    const cpu = await gradsOn("cpu")
    expect(torch.length).toBeGreaterThan(10)
    for (let i = 0; i < cpu.length; i++)
      expect(relativeError(torch[i]!, cpu[i]!), model.nameOf(variables[i]!)).toBeLessThanOrEqual(3e-4)
  })

  it("trains for 20 Adam steps with the loss falling and tensors, data ids and libtorch tensors flat", async () => {
    await tf.setBackend("torch")
    const addon = loadAddon()
    const optimizer = tf.train.adam(0.01)
    const step = () => {
      const value = optimizer.minimize(loss, true, [...model.trainableVariables])!
      const v = value.dataSync()[0]!
      value.dispose()
      return v
    }
    const first = step()
    step()
    const before = {
      tensors: tf.memory().numTensors,
      dataIds: tf.engine().backend.numDataIds(),
      live: addon.stats().liveTensors
    }
    let last = first
    for (let i = 0; i < 20; i++) last = step()
    expect(last).toBeLessThan(first)
    expect(tf.memory().numTensors).toBe(before.tensors)
    expect(tf.engine().backend.numDataIds()).toBe(before.dataIds)
    expect(addon.stats().liveTensors).toBe(before.live)
    optimizer.dispose()
  })
})
