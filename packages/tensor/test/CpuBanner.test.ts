/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js..." on its first tensor write
 * in Node: the cpu backend is reidfx's deliberate choice there, so the banner must never print. Own file: the cpu
 * backend's first write must happen in this test (vitest isolates test files).
 */
import { describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Layer } from "effect"
import { vi } from "vitest"
import { Backend } from "../src/index.ts"

describe("the cpu backend", () => {
  it("never prints tfjs's Node.js banner, and other warnings still pass", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
    try {
      await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            yield* Layer.build(Backend.layerCpu)
            expect(tf.getBackend()).toBe("cpu")
            const t = tf.tensor1d([1, 2, 3])
            expect(Array.from(t.dataSync())).toEqual([1, 2, 3])
            t.dispose()
          })
        )
      )
      console.warn("another warning")
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(["another warning"])
    } finally {
      warn.mockRestore()
    }
  })
})
