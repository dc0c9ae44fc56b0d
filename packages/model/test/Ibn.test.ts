/**
 * IBN-a and its parts against hand-computed values: instance normalisation, the half / half split, and the
 * ceil-mode stem max-pool of fast-reid.
 */
import { describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { Builder, type ForwardContext, ibnNorm, instanceNorm, maxPoolCeil } from "../src/index.ts"

const contextOf = (values: Record<string, tf.Tensor>, training = false): ForwardContext => ({
  get: (name) => values[name]!,
  training,
  setState: () => {}
})

describe("IBN-a", () => {
  it("instance norm normalises each sample and channel over H, W with the biased variance", () => {
    tf.setBackend("cpu")
    const b = new Builder()
    const norm = instanceNorm(b, { channels: 1 })
    // sample 0: 1, 2, 3, 4 (mean 2.5, var 1.25); sample 1: 10, 10, 10, 14 (mean 11, var 3)
    const x = tf.tensor4d([1, 2, 3, 4, 10, 10, 10, 14], [2, 2, 2, 1])
    const y = tf.tidy(() =>
      Array.from(norm(contextOf({ gamma: tf.tensor1d([2]), beta: tf.tensor1d([1]) }), x).dataSync())
    )
    const expected = [
      ...[1, 2, 3, 4].map((v) => (2 * (v - 2.5)) / Math.sqrt(1.25 + 1e-5) + 1),
      ...[10, 10, 10, 14].map((v) => (2 * (v - 11)) / Math.sqrt(3 + 1e-5) + 1)
    ]
    for (const [i, v] of y.entries()) expect(v).toBeCloseTo(expected[i]!, 5)
    x.dispose()
  })

  it("splits floor(C / 2) instance-normalised channels and C - floor(C / 2) batch-normalised ones (IN/..., BN/... names)", () => {
    tf.setBackend("cpu")
    const b = new Builder()
    const norm = ibnNorm(b.scope("bn1"), { channels: 5 })
    expect(b.specs.map((s) => `${s.name}:${s.shape.join("x")}`)).toEqual([
      "bn1/IN/gamma:2",
      "bn1/IN/beta:2",
      "bn1/BN/gamma:3",
      "bn1/BN/beta:3",
      "bn1/BN/moving_mean:3",
      "bn1/BN/moving_variance:3"
    ])
    const params: Record<string, tf.Tensor> = {
      "bn1/IN/gamma": tf.ones([2]),
      "bn1/IN/beta": tf.zeros([2]),
      "bn1/BN/gamma": tf.ones([3]),
      "bn1/BN/beta": tf.zeros([3]),
      "bn1/BN/moving_mean": tf.tensor1d([1, 2, 3]),
      "bn1/BN/moving_variance": tf.tensor1d([4, 4, 4])
    }
    // one pixel pair per channel: values c and c + 2 at the two pixels
    const x = tf.tensor4d([0, 1, 2, 3, 4, 2, 3, 4, 5, 6], [1, 1, 2, 5])
    const y = tf.tidy(() => norm(contextOf(params), x).arraySync()[0]![0]!)
    const inorm = (v: number) => (v === 0 ? -1 : 1) / Math.sqrt(1 + 1e-5) // mean c + 1, variance 1
    expect(y[0]![0]).toBeCloseTo(inorm(0), 5)
    expect(y[1]![1]).toBeCloseTo(1 / Math.sqrt(1 + 1e-5), 5)
    // channel 2 (BN, running mean 1, variance 4): (2 - 1) / 2 and (4 - 1) / 2
    expect(y[0]![2]).toBeCloseTo(0.5, 4)
    expect(y[1]![2]).toBeCloseTo(1.5, 4)
    expect(y[1]![4]).toBeCloseTo((6 - 3) / 2, 4)
    x.dispose()
    Object.values(params).forEach((t) => {
      t.dispose()
    })
  })

  it("the ceil-mode max-pool (3x3 / 2, no padding) equals a brute-force PyTorch ceil_mode pool", () => {
    tf.setBackend("cpu")
    for (const [h, w] of [
      [8, 5],
      [7, 7],
      [16, 9]
    ] as const) {
      const values = Array.from({ length: h * w }, (_, i) => Math.sin(i * 1.7) * 10)
      const out = tf.tidy(() => maxPoolCeil(tf.tensor4d(values, [1, h, w, 1])).arraySync()[0]!)
      const size = (n: number) => Math.ceil((n - 3) / 2) + 1
      expect([out.length, out[0]!.length]).toEqual([size(h), size(w)])
      for (let i = 0; i < size(h); i++) {
        for (let j = 0; j < size(w); j++) {
          let m = Number.NEGATIVE_INFINITY
          for (let a = 2 * i; a < Math.min(h, 2 * i + 3); a++)
            for (let c = 2 * j; c < Math.min(w, 2 * j + 3); c++) m = Math.max(m, values[a * w + c]!)
          expect(out[i]![j]![0]).toBeCloseTo(m, 5)
        }
      }
    }
  })
})
