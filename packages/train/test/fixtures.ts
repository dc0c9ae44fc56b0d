/** Test fixtures: a tiny model config, a local batch source and simple terms (independent of other packages' losses). */
import * as tf from "@tensorflow/tfjs-core"
import { Term } from "@reidfx/metric"
import type { RandomStream } from "@reidfx/tensor"
import { Stream } from "effect"
import type { EpochSource, TrainBatch } from "../src/index.ts"

export const tinyModel = {
  backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  head: { classes: 4, neck: "bnneck" }
} as const

/** Class c: a colour ramp of its own plus noise (learnable in a few steps). */
export const makeBatch = (rng: RandomStream, classes = 4, perClass = 2, h = 16, w = 8): TrainBatch => {
  const n = classes * perClass
  const pixels = new Float32Array(n * h * w * 3)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const c = i % classes
    labels[i] = c
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < 3; ch++) {
          const base = ((c + ch) % classes) / classes + (c % 2 === 0 ? y / h : x / w) * 0.3
          pixels[((i * h + y) * w + x) * 3 + ch] = base + rng.normal() * 0.1
        }
      }
    }
  }
  return { images: tf.tensor4d(pixels, [n, h, w, 3]), labels: tf.tensor1d(labels, "int32") }
}

export const source = (stepsPerEpoch: number): EpochSource => ({
  stepsPerEpoch,
  epoch: (_epoch, rng) =>
    Stream.fromIterable(Array.from({ length: stepsPerEpoch }, (_, i) => i)).pipe(Stream.map(() => makeBatch(rng)))
})

/** Softmax cross-entropy on the logits. */
export const crossEntropy = Term.make("crossEntropy", {}, (step) => ({
  loss: tf.losses.softmaxCrossEntropy(
    tf.oneHot(step.labels, step.outputs.logits!.shape[1]),
    step.outputs.logits!
  ) as tf.Scalar
}))

/** Mean squared distance of the features to the peer's (a mutual term; the peer's outputs are detached). */
export const matchPeer = Term.make("matchPeer", {}, (step) => ({
  loss: tf.mean(tf.square(tf.sub(step.outputs.features, step.peer!.features))) as tf.Scalar
}))
