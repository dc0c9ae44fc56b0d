import { assert, describe, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { Backend, ShapeMismatch, Tensor } from "../src/index.ts"

describe("typed tensors and shape checks", () => {
  it.effect("checkShapes names the expected and actual shape, resolving named dimensions", () =>
    Effect.gen(function* () {
      const emb = tf.zeros([4, 8])
      const labels = tf.zeros([5], "int32")
      const error = yield* Effect.flip(
        Tensor.checkShapes("tripletBatchHard", [
          [emb, ["batch", null], "embeddings"],
          [labels, ["batch"], "labels"]
        ])
      )
      assert.instanceOf(error, ShapeMismatch)
      assert.strictEqual(error.message, "tripletBatchHard: labels: expected shape [4], got [5]")
      yield* Tensor.checkShapes("ok", [
        [emb, ["b", 8]],
        [tf.zeros([4], "int32"), ["b"]]
      ])
      const rank = yield* Effect.flip(Tensor.embeddings(tf.zeros([4])))
      assert.strictEqual(rank.message, "embeddings: expected shape [*, *], got [4]")
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("labels must be int32 rank 1; checkFinite counts non-finite values", () =>
    Effect.gen(function* () {
      const dtype = yield* Effect.flip(Tensor.labels(tf.zeros([3])))
      assert.strictEqual(dtype._tag, "DTypeMismatch")
      assert.include(dtype.message, "expected dtype int32, got float32")
      const nonFinite = yield* Effect.flip(
        Tensor.checkFinite("loss", tf.tensor1d([1, Number.NaN, Number.POSITIVE_INFINITY]))
      )
      assert.strictEqual(nonFinite.message, "loss: 2 value(s) are NaN or infinite")
      assert.throws(
        () => Tensor.assertShapes("f", [[tf.zeros([2, 3]), [2, 4]]]),
        "f: expected shape [2, 4], got [2, 3]"
      )
    }).pipe(Effect.provide(Backend.layerCpu))
  )
})
