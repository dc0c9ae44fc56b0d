import * as tf from "@tensorflow/tfjs-core"
import * as tfl from "@tensorflow/tfjs-layers"
import { beforeAll, describe, expect, it } from "vitest"
import { noLeaks } from "../src/testing.ts"
import { on, relativeError, setupBackends, values } from "./agreement.ts"

beforeAll(setupBackends)

const batch = 4
const classes = 5
const inputShape = [12, 10, 3]

/** conv, BN, ReLU, max-pool, a strided conv, global pooling, dense: the kinds of layers the ReID nets use. */
const buildModel = (): tfl.LayersModel => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape, filters: 6, kernelSize: 3, padding: "same", useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: "relu" }),
      tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: "same" }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: classes })
    ]
  })
  // deterministic weights from the seeded stream
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.shape, 100 + i), w.shape)))
  return model
}

const images = () =>
  tf.tensor4d(values([batch, ...inputShape], 1), [batch, ...inputShape] as [number, number, number, number])
const labels = [0, 3, 1, 3]

/** Cross-entropy through gather: -mean(log_softmax(logits)[i, label_i]). */
const loss = (model: tfl.LayersModel) => () => {
  const logits = model.apply(images(), { training: true }) as tf.Tensor2D
  const flat = tf.reshape(tf.logSoftmax(logits), [-1])
  const index = tf.tensor1d(
    labels.map((l, i) => i * classes + l),
    "int32"
  )
  return tf.neg(tf.mean(tf.gather(flat, index))) as tf.Scalar
}

// `REIDFX_BACKEND=torch npm test` reroutes the cpu and wasm backends to torch (torch-backend/test/suiteOnTorch.ts):
// tests about those two backends themselves skip then
const rerouted = process.env["REIDFX_BACKEND"] === "torch"

describe("a tf.layers model on wasm", () => {
  if (rerouted)
    it.skip("skipped under REIDFX_BACKEND=torch: the wasm-against-cpu gradients compare torch with itself", () => {})

  it.skipIf(rerouted)("has the same gradients on wasm as on cpu", async () => {
    await tf.setBackend("cpu")
    const model = buildModel()
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const gradsOn = async (backend: "wasm" | "cpu") => {
      const out: Array<Float32Array> = []
      for (let i = 0; i < trainable.length; i++) {
        out.push(await on(backend, () => tf.variableGrads(loss(model), trainable).grads[trainable[i]!.name]!))
      }
      return out
    }
    const cpu = await gradsOn("cpu")
    const wasm = await gradsOn("wasm")
    expect(wasm.length).toBe(trainable.length)
    for (let i = 0; i < cpu.length; i++)
      expect(relativeError(wasm[i]!, cpu[i]!), trainable[i]!.name).toBeLessThanOrEqual(1e-4)
    model.dispose()
  })

  it("trains: the loss decreases on a fixed batch, and 30 steps keep numTensors flat", async () => {
    await tf.setBackend("wasm")
    const model = buildModel()
    const optimizer = tf.train.adam(0.01)
    const step = () => {
      const value = optimizer.minimize(loss(model), true) as tf.Scalar
      const v = value.dataSync()[0]!
      value.dispose()
      return v
    }
    const first = step()
    const counts: Array<number> = []
    let last = first
    await noLeaks(async () => {
      for (let i = 0; i < 30; i++) {
        last = step()
        counts.push(tf.memory().numTensors)
      }
    }, "30 training steps")
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(last).toBeLessThan(first * 0.5)
    optimizer.dispose()
    model.dispose()
  })
})
