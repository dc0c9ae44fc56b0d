import { describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import {
  Model,
  partAssignment,
  poolByAssignment,
  refinedPartPooling,
  stripes,
  uniformAssignment
} from "../src/index.ts"

const cpu = Effect.provide(Backend.layerCpu)
const close = (a: ArrayLike<number>, b: ArrayLike<number>, digits = 5) => {
  expect(a.length).toBe(b.length)
  for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, digits)
}

describe("refined part pooling (PCB's RPP, Sun et al. 2018 Eq. 2-3)", () => {
  it.effect("equals a plain loop: P(P_i|f) = softmax_i(W_i^T f), g_i = mean_f P(P_i|f) f", () =>
    Effect.sync(() => {
      const [B, H, W, C, p] = [2, 4, 3, 5, 3]
      const map = tf.randomNormal([B, H, W, C], 0, 1, "float32", 3) as tf.Tensor4D
      const w = tf.randomNormal([C, p], 0, 1, "float32", 4) as tf.Tensor2D
      const before = tf.memory().numTensors
      const g = refinedPartPooling(map, w)
      const a = partAssignment(map, w)
      expect(tf.memory().numTensors).toBe(before + 2)
      const m = map.dataSync()
      const k = w.dataSync()
      const expectedG = new Float64Array(B * p * C)
      const expectedA = new Float64Array(B * H * W * p)
      for (let b = 0; b < B; b++) {
        for (let f = 0; f < H * W; f++) {
          const x = Array.from({ length: C }, (_, c) => m[(b * H * W + f) * C + c]!)
          const logits = Array.from({ length: p }, (_, i) => x.reduce((s, v, c) => s + v * k[c * p + i]!, 0))
          const mx = Math.max(...logits)
          const z = logits.reduce((s, l) => s + Math.exp(l - mx), 0)
          logits.forEach((l, i) => {
            const prob = Math.exp(l - mx) / z
            expectedA[(b * H * W + f) * p + i] = prob
            for (let c = 0; c < C; c++) expectedG[(b * p + i) * C + c]! += (prob * x[c]!) / (H * W)
          })
        }
      }
      close(a.dataSync(), expectedA)
      close(g.dataSync(), expectedG)
      tf.dispose([map, w, g, a])
    }).pipe(cpu)
  )

  it.effect("with the uniform stripes' hard assignment it is PCB's stripe mean divided by p", () =>
    Effect.sync(() => {
      const map = tf.randomUniform([2, 6, 2, 4], 0, 1, "float32", 5) as tf.Tensor4D
      const u = uniformAssignment(6, 2, 3)
      const [pooled, striped] = tf.tidy(() => [
        poolByAssignment(map, tf.tile(u, [2, 1, 1]) as tf.Tensor3D),
        tf.div(stripes(map, 3), 3)
      ])
      close(pooled!.dataSync(), striped!.dataSync())
      tf.dispose([map, u, pooled!, striped!])
    }).pipe(cpu)
  )

  it.effect(
    "parts follow content, not position: permuting the locations leaves them unchanged (uniform stripes change)",
    () =>
      Effect.sync(() => {
        const map = tf.randomNormal([1, 4, 2, 3], 0, 1, "float32", 6) as tf.Tensor4D
        const w = tf.randomNormal([3, 2], 0, 1, "float32", 7) as tf.Tensor2D
        // move the bottom two rows to the top (the person seen lower in the box)
        const shifted = tf.concat(
          [tf.slice(map, [0, 2, 0, 0], [-1, 2, -1, -1]), tf.slice(map, [0, 0, 0, 0], [-1, 2, -1, -1])],
          1
        ) as tf.Tensor4D
        const [a, b, s1, s2] = tf.tidy(() => [
          refinedPartPooling(map, w),
          refinedPartPooling(shifted, w),
          stripes(map, 2),
          stripes(shifted, 2)
        ])
        close(a!.dataSync(), b!.dataSync())
        expect(Math.abs(s1!.dataSync()[0]! - s2!.dataSync()[0]!)).toBeGreaterThan(1e-3)
        tf.dispose([map, w, shifted, a!, b!, s1!, s2!])
      }).pipe(cpu)
  )

  it.effect("head.parts.refined: a [C, p] part classifier that training reaches, the same outputs' shapes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const backbone = { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] } as const
        const model = yield* Model.make({
          backbone,
          head: { classes: 3, parts: { parts: 2, channels: 8, refined: true } }
        })
        expect(model.variables.get("parts/rpp/kernel")!.shape).toEqual([8, 2])
        const x = tf.randomUniform([2, 32, 16, 3], 0, 1, "float32", 8) as tf.Tensor4D
        const kernel = model.variables.get("parts/rpp/kernel")!
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(model.forward(x, { training: true }).localFeatures!)) as tf.Scalar,
          [kernel]
        )
        expect(tf.tidy(() => model.forward(x).localFeatures!.shape)).toEqual([2, 2, 8])
        expect(tf.tidy(() => tf.max(tf.abs(grads[kernel.name]!)).dataSync()[0]!)).toBeGreaterThan(0)
        tf.dispose([x, value, ...Object.values(grads)])
      })
    ).pipe(cpu)
  )
})
