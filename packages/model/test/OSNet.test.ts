/**
 * OSNet (torchreid `torchreid/models/osnet.py`): the parameter count from the architecture, the paper's 2.2 M
 * (OSNet x1.0 with its 512-d fc) and 0.2 M (x0.25), the built model's outputs, and a training step.
 */
import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Schema, Scope } from "effect"
import * as BackboneCatalog from "../src/BackboneCatalog.ts"
import { channels } from "../src/backbones/OSNet.ts"
import { define, Model, ModelConfig, parameterCount } from "../src/index.ts"

const count = (input: ModelConfig.ModelConfigInput) =>
  parameterCount(define(Schema.decodeUnknownSync(ModelConfig.ModelConfig)(input)).specs)

/** The trainable parameters of torchreid's OSNet feature extractor, counted module by module from osnet.py. */
const reference = ([c0, c1, c2, c3]: readonly [number, number, number, number], layers = [2, 2, 2]) => {
  const conv = (i: number, o: number, k: number, bias = false, groups = 1) => o * (i / groups) * k * k + (bias ? o : 0)
  const bn = (c: number) => 2 * c
  const conv1x1 = (i: number, o: number) => conv(i, o, 1) + bn(o) // Conv1x1 and Conv1x1Linear
  const light = (i: number, o: number) => conv(i, o, 1) + conv(o, o, 3, false, o) + bn(o) // LightConv3x3
  const gate = (c: number) => conv(c, Math.floor(c / 16), 1, true) + conv(Math.floor(c / 16), c, 1, true) // ChannelGate
  const block = (i: number, o: number) => {
    const m = o / 4
    return conv1x1(i, m) + light(m, m) * (1 + 2 + 3 + 4) + gate(m) + conv1x1(m, o) + (i === o ? 0 : conv1x1(i, o))
  }
  const stage = (n: number, i: number, o: number, reduce: boolean) =>
    block(i, o) + block(o, o) * (n - 1) + (reduce ? conv1x1(o, o) : 0)
  return (
    conv(3, c0, 7) +
    bn(c0) +
    stage(layers[0]!, c0, c1, true) +
    stage(layers[1]!, c1, c2, true) +
    stage(layers[2]!, c2, c3, false) +
    conv1x1(c3, c3)
  )
}

describe("OSNet", () => {
  it("widths: torchreid's x1.0 [64, 256, 384, 512] and x0.25 [16, 64, 96, 128]", () => {
    expect(channels()).toEqual([64, 256, 384, 512])
    expect(channels(0.25)).toEqual([16, 64, 96, 128])
    expect(channels(0.75)).toEqual([48, 192, 288, 384])
  })

  it("parameters: the architecture's count; with the 512-d fc + BN, the paper's 2.2 M (x1.0) and 0.2 M (x0.25)", () => {
    const x1 = count({ backbone: { kind: "osnet" }, head: { neck: "none", classes: 0 } })
    expect(x1).toBe(reference([64, 256, 384, 512]))
    expect(x1).toBe(1_905_828)
    const x025 = count({ backbone: { kind: "osnet", widthMultiplier: 0.25 }, head: { neck: "none", classes: 0 } })
    expect(x025).toBe(reference([16, 64, 96, 128]))
    // torchreid's fc: Linear(c3, 512) + BatchNorm1d(512) (our head: the embedding's linear layer; the BN is 2 * 512)
    const fc = (c3: number) => c3 * 512 + 512 + 2 * 512
    expect(Math.round((x1 + fc(512)) / 1e5) / 10).toBe(2.2)
    expect(Math.round((x025 + fc(128)) / 1e5) / 10).toBe(0.2)
    expect(count({ backbone: { kind: "osnet" }, head: { neck: "none", classes: 0, embedding: 512 } })).toBe(
      x1 + 512 * 512 + 512
    )
  })

  it("a protocol's model spec maps to its config; the catalog builds it by kind", () => {
    const entry = BackboneCatalog.builtin.require("osnet")
    expect(entry.fromProtocol({ stemWidth: 16, widths: [16], blocks: [1], lastStride: 1 })).toEqual({ kind: "osnet" })
    expect(BackboneCatalog.builtin.names).toEqual([
      "reference",
      "resnet18",
      "resnet34",
      "resnet50",
      "mobilenetv2",
      "osnet"
    ])
  })

  it.effect(
    "a built model gives c3-d features and logits; a training step changes the gate's weights and leaks nothing",
    () =>
      Effect.gen(function* () {
        const before = tf.memory().numTensors
        const scope = yield* Scope.make()
        const model = yield* Model.make({
          backbone: { kind: "osnet", widthMultiplier: 0.25, layers: [1, 1, 1] },
          head: { classes: 3 }
        }).pipe(Scope.provide(scope))
        expect(model.featureDim).toBe(128)
        const x = tf.randomUniform([2, 32, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D
        const network = define(yield* Model.decodeConfig({ backbone: { kind: "osnet", widthMultiplier: 0.25 } }))
        expect(network.featureDim).toBe(128)
        const shapes = tf.tidy(() => {
          const o = model.forward(x, { training: false })
          return [o.features.shape, o.logits!.shape, Number.isFinite(tf.sum(o.features).dataSync()[0]!)]
        })
        expect(shapes).toEqual([[2, 128], [2, 3], true])
        const k = "backbone/conv2/0/gate/fc1/kernel"
        const w0 = Array.from(model.variables.get(k)!.dataSync())
        const optimizer = tf.train.sgd(0.1)
        tf.tidy(() => {
          const { grads, value } = tf.variableGrads(
            () =>
              tf.losses.softmaxCrossEntropy(
                tf.oneHot(tf.tensor1d([0, 2], "int32"), 3),
                model.forward(x, { training: true }).logits!
              ) as tf.Scalar
          )
          optimizer.applyGradients(grads)
          value.dispose()
        })
        optimizer.dispose()
        expect(Array.from(model.variables.get(k)!.dataSync())).not.toEqual(w0)
        x.dispose()
        yield* Scope.close(scope, Exit.void)
        expect(tf.memory().numTensors).toBe(before)
      }).pipe(Effect.provide(Backend.layerCpu))
  )
})
