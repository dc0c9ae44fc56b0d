import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { ShapeMismatch } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { beforeAll, describe, expect, it } from "vitest"
import { frameQuality, temporalMax, temporalMean, temporalPool, temporalQuality } from "../src/TemporalPooling.ts"

beforeAll(async () => {
  await tf.setBackend("cpu")
  await tf.ready()
})

const read = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync())
  t.dispose()
  return v
}

describe("temporal pooling", () => {
  // one clip, T = 2, D = 2: frames [1, 4] and [3, 0]
  const frames = () =>
    tf.tensor3d([
      [
        [1, 4],
        [3, 0]
      ]
    ])

  it("hand-computed mean and max", () => {
    noLeaks(() => {
      const f = frames()
      expect(read(temporalMean(f))).toEqual([2, 2])
      expect(read(temporalMax(f))).toEqual([3, 4])
      f.dispose()
    })
  })

  it("hand-computed quality weighting: q_t = sigmoid(w . f_t + b), f = sum q_t f_t / sum q_t", () => {
    noLeaks(() => {
      const f = frames()
      const w = tf.tensor1d([1, 0])
      const b = tf.scalar(-2)
      // scores: sigmoid(1 - 2) = 0.268941, sigmoid(3 - 2) = 0.731059 (sum 1)
      const q = read(frameQuality(f, w, b))
      expect(q[0]).toBeCloseTo(0.268941, 5)
      expect(q[1]).toBeCloseTo(0.731059, 5)
      const pooled = read(temporalQuality(f, w, b))
      expect(pooled[0]).toBeCloseTo(0.268941 * 1 + 0.731059 * 3, 5)
      expect(pooled[1]).toBeCloseTo(0.268941 * 4, 5)
      tf.dispose([f, w, b])
    })
  })

  it("quality with w = 0 is the mean; every kind returns a single frame unchanged and is frame-order invariant", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 36, maxLength: 36 }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        (batch, time, values, bias) => {
          noLeaks(() => {
            const dim = 3
            const data = values.slice(0, batch * time * dim)
            while (data.length < batch * time * dim) data.push(0.5)
            const f = tf.tensor3d(data, [batch, time, dim])
            const zero = tf.zeros([dim]) as tf.Tensor1D
            const w = tf.tensor1d([0.3, -0.7, 1.1])
            const b = tf.scalar(bias)
            const mean = read(temporalMean(f))
            read(temporalQuality(f, zero, b)).forEach((v, i) => {
              expect(v).toBeCloseTo(mean[i]!, 5)
            })
            const reversed = tf.reverse(f, 1) as tf.Tensor3D
            for (const kind of ["mean", "max", "quality"] as const) {
              const a = read(temporalPool(kind, f, { w, b }))
              read(temporalPool(kind, reversed, { w, b })).forEach((v, i) => {
                expect(v).toBeCloseTo(a[i]!, 5)
              })
              const first = tf.slice(f, [0, 0, 0], [batch, 1, dim]) as tf.Tensor3D
              const flat = Array.from(first.dataSync())
              read(temporalPool(kind, first, { w, b })).forEach((v, i) => {
                expect(v).toBeCloseTo(flat[i]!, 5)
              })
              first.dispose()
            }
            tf.dispose([f, zero, w, b, reversed])
          })
        }
      ),
      { numRuns: 25 }
    )
  })

  it("rejects a frames tensor that is not [B, T, D] with a ShapeMismatch", () => {
    const bad = tf.zeros([2, 3]) as unknown as tf.Tensor3D
    expect(() => temporalMean(bad)).toThrow(ShapeMismatch)
    expect(() => temporalPool("quality", tf.zeros([1, 2, 3]) as tf.Tensor3D)).toThrow(/needs its parameters/)
    bad.dispose()
  })
})
