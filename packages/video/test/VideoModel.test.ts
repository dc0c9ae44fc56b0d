import * as tf from "@tensorflow/tfjs-core"
import { Backend, InvalidOption, Rng } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as VideoModel from "../src/VideoModel.ts"

const wasm = Layer.fresh(Backend.layerWasmWith({ threads: 1 }))
const backbone = { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 } as const

const run = <A, E>(self: Effect.Effect<A, E, import("effect").Scope.Scope>) =>
  Effect.runPromise(Effect.scoped(self).pipe(noLeaksEffect, Rng.withSeed(7), Effect.provide(wasm)))

const values = (t: tf.Tensor) => Array.from(t.dataSync())

describe("video models", () => {
  it("embeds [B, T, H, W, C] clips and [B, H, W, C] images; a one-frame clip is its image", async () => {
    await run(
      Effect.gen(function* () {
        const model = yield* VideoModel.make({ backbone, embedding: 6, classes: 5 })
        tf.tidy(() => {
          const clips = tf.randomUniform([2, 3, 16, 8, 3], -1, 1, "float32", 1)
          const out = model.forward(clips)
          expect(out.features.shape).toEqual([2, 6])
          expect(out.neckFeatures!.shape).toEqual([2, 6])
          expect(out.logits!.shape).toEqual([2, 5])
          const image = tf.squeeze(tf.slice(clips, [0, 0, 0, 0, 0], [2, 1, 16, 8, 3]), [1])
          const a = values(model.embed(image))
          const b = values(model.embed(tf.expandDims(image, 1)))
          a.forEach((x, i) => {
            expect(x).toBeCloseTo(b[i]!, 5)
          })
        })
        expect(model.network.specs.some((s) => s.name.startsWith("frame/backbone/"))).toBe(true)
        expect(model.network.specs.some((s) => s.name === "clip/classifier/kernel")).toBe(true)
      })
    )
  })

  it("mean pooling: the clip's features are the mean of its frames' features; max: the element-wise max", async () => {
    await run(
      Effect.gen(function* () {
        for (const kind of ["mean", "max"] as const) {
          const model = yield* VideoModel.make({ backbone, temporalPooling: kind })
          tf.tidy(() => {
            const clips = tf.randomUniform([1, 4, 16, 8, 3], -1, 1, "float32", 2)
            const perFrame = model.network.frameEmbeddings(
              { get: (n) => model.weights().get(n)!, training: false, setState: () => {} },
              clips
            )
            const expected = values(kind === "mean" ? tf.mean(perFrame, 1) : tf.max(perFrame, 1))
            values(model.forward(clips).features).forEach((x, i) => {
              expect(x).toBeCloseTo(expected[i]!, 4)
            })
          })
        }
      })
    )
  })

  it("quality pooling starts as the mean (w = 0) and has its own parameters", async () => {
    await run(
      Effect.gen(function* () {
        const quality = yield* VideoModel.make({ backbone, temporalPooling: "quality" })
        expect([...quality.variables.keys()]).toContain("clip/quality/w")
        tf.tidy(() => {
          const clips = tf.randomUniform([2, 3, 16, 8, 3], -1, 1, "float32", 3)
          const perFrame = quality.network.frameEmbeddings(
            { get: (n) => quality.weights().get(n)!, training: false, setState: () => {} },
            clips
          )
          const mean = values(tf.mean(perFrame, 1))
          values(quality.forward(clips).features).forEach((x, i) => {
            expect(x).toBeCloseTo(mean[i]!, 4)
          })
        })
      })
    )
  })

  it("a snapshot is frozen: its outputs carry no gradient and later training does not change it", async () => {
    await run(
      Effect.gen(function* () {
        const model = yield* VideoModel.make({ backbone, classes: 3 })
        const frozen = yield* model.snapshot
        const before = [...frozen.weights().values()].map((t) => values(t))
        tf.tidy(() => {
          const x = tf.randomUniform([2, 2, 16, 8, 3], -1, 1, "float32", 4)
          const { grads } = tf.variableGrads(
            () => tf.sum(model.forward(x, { training: true }).features) as tf.Scalar,
            model.trainableVariables as Array<tf.Variable>
          )
          for (const v of model.trainableVariables)
            if (grads[v.name] !== undefined) v.assign(tf.add(v, tf.mul(grads[v.name]!, 0.1)))
          const { grads: none } = tf.variableGrads(
            () =>
              tf.add(
                tf.mul(tf.sum(frozen.forward(x).features), 1),
                tf.mul(tf.sum(model.forward(x).features), 0)
              ) as tf.Scalar,
            model.trainableVariables as Array<tf.Variable>
          )
          // the frozen model's output does not depend on any trainable variable
          for (const g of Object.values(none)) expect(values(tf.abs(g)).every((v) => v === 0)).toBe(true)
        })
        const after = [...frozen.weights().values()].map((t) => values(t))
        expect(after).toEqual(before)
      })
    )
  })

  it("a bad config is an InvalidOption naming the key; a rank-3 input is a ShapeMismatch", async () => {
    const e = await Effect.runPromise(
      Effect.flip(Effect.scoped(VideoModel.make({ backbone, temporalPooling: "attention" as "mean" })))
    )
    expect(e).toBeInstanceOf(InvalidOption)
    expect(e.message).toMatch(/temporalPooling/)
    await run(
      Effect.gen(function* () {
        const model = yield* VideoModel.make({ backbone })
        const bad = tf.zeros([2, 16, 8])
        expect(() => model.forward(bad)).toThrow(/expected shape/)
        bad.dispose()
      })
    )
  })
})
