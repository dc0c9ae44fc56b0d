/** Every loss and its gradient on the wasm backend (the default backend of reidfx) agrees with the references. */
import { Backend } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  CenterLoss,
  CircleLoss,
  Contrastive,
  CrossEntropyLabelSmooth,
  Distance,
  Dmml,
  ImprovedTriplet,
  type LossValue,
  MarginSampleMining,
  ProtoSoftmax,
  Quadruplet,
  TripletBatchAll,
  TripletBatchHard,
  TripletSoftHard
} from "../src/index.ts"
import { emb, evaluate, lab, refBatchAll, refBatchHard, refCircle, refSoftHard } from "./helpers.ts"

let scope: Scope.Closeable
beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  await Effect.runPromise(Layer.buildWithScope(Backend.layerWasm, scope))
  // under `REIDFX_BACKEND=torch npm test` the wasm layer activates torch (torch-backend/test/suiteOnTorch.ts)
  expect(tf.getBackend()).toBe(process.env["REIDFX_BACKEND"] === "torch" ? "torch" : "wasm")
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

const X = [
  [0.1, 1, 0.2],
  [0.3, 0.9, 0],
  [1, 0.1, 0.4],
  [0.8, 0.3, 0.1],
  [0, 0.2, 1],
  [0.2, 0, 0.7],
  [0.5, 0.5, 0.5],
  [0.4, 0.6, 0.3]
]
const Y = [0, 0, 1, 1, 2, 2, 3, 3]

const all: ReadonlyArray<readonly [string, (x: tf.Tensor2D, y: tf.Tensor1D) => LossValue]> = [
  ["tripletBatchHard", (x, y) => TripletBatchHard.loss(x, y)],
  ["tripletBatchAll", (x, y) => TripletBatchAll.loss(x, y)],
  ["tripletSoftHard", (x, y) => TripletSoftHard.loss(x, y)],
  ["contrastive", (x, y) => Contrastive.loss(x, y)],
  ["improvedTriplet", (x, y) => ImprovedTriplet.loss(x, y)],
  ["quadruplet", (x, y) => Quadruplet.loss(x, y)],
  ["marginSampleMining", (x, y) => MarginSampleMining.loss(x, y)],
  ["circleLoss", (x, y) => CircleLoss.loss(x, y)],
  ["crossEntropyLabelSmooth", (x) => CrossEntropyLabelSmooth.loss(x, lab([0, 0, 1, 1, 2, 2, 0, 1]))],
  ["centerLoss", (x, y) => CenterLoss.loss(x, y, tf.zeros([4, 3]) as tf.Tensor2D)],
  ["protoSoftmax", (x) => ProtoSoftmax.loss(x, { ways: 4, shots: 1, queries: 1 })],
  ["dmml", (x) => Dmml.loss(x, { ways: 2, shots: 2, queries: 2 })]
]

describe("on wasm", () => {
  it("distances agree with the cpu formulas", () => {
    const d = tf.tidy(() => Distance.euclidean.matrix(emb(X)).arraySync())
    expect(d[0]![0]).toBe(0)
    expect(d[0]![2]).toBeCloseTo(Math.hypot(0.9, 0.9, 0.2), 5)
  })

  it("triplet and circle losses match the plain-loop references", () => {
    expect(evaluate(() => TripletBatchHard.loss(emb(X), lab(Y), { margin: 0.5 })).loss).toBeCloseTo(
      refBatchHard(X, Y, 0.5),
      5
    )
    expect(evaluate(() => TripletBatchAll.loss(emb(X), lab(Y), { margin: 0.5 })).loss).toBeCloseTo(
      refBatchAll(X, Y, 0.5)[1],
      5
    )
    expect(evaluate(() => TripletSoftHard.loss(emb(X), lab(Y), { margin: 0.5, softMargin: false })).loss).toBeCloseTo(
      refSoftHard(X, Y, 1, 0.5, false),
      5
    )
    expect(evaluate(() => CircleLoss.loss(emb(X), lab(Y), { gamma: 32 })).loss).toBeCloseTo(
      refCircle(X, Y, 0.25, 32),
      3
    )
  })

  it.each(all)("%s: finite value and gradient, no leaks", (_, f) => {
    const x = emb(X)
    const y = lab(Y)
    noLeaks(() => {
      const g = tf.grad((t: tf.Tensor) => f(t as tf.Tensor2D, y).loss)(x)
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true)
      g.dispose()
    })
    tf.dispose([x, y])
  })
})
