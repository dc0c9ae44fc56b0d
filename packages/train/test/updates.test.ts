import { describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { adamUpdate, clipByGlobalNorm, sgdUpdate } from "../src/index.ts"

await tf.setBackend("cpu")
const v = (t: tf.Tensor | undefined) => Array.from(t!.dataSync())

describe("SGD", () => {
  it("momentum and weight decay: two hand-computed steps", () => {
    noLeaks(() =>
      tf.tidy(() => {
        const o = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0.1 }
        // d = 0.5 + 0.1 * 1 = 0.6; b = 0.6; p = 1 - 0.06
        const s1 = sgdUpdate(tf.tensor1d([1]), tf.tensor1d([0.5]), undefined, o)
        expect(v(s1.param)[0]).toBeCloseTo(0.94, 6)
        expect(v(s1.buffer)[0]).toBeCloseTo(0.6, 6)
        // d = 0.5 + 0.094 = 0.594; b = 0.54 + 0.594 = 1.134; p = 0.94 - 0.1134
        const s2 = sgdUpdate(s1.param, tf.tensor1d([0.5]), s1.buffer, o)
        expect(v(s2.buffer)[0]).toBeCloseTo(1.134, 6)
        expect(v(s2.param)[0]).toBeCloseTo(0.8266, 6)
        // Nesterov: d = 0.594 + 0.9 * 1.134 = 1.6146
        const n2 = sgdUpdate(s1.param, tf.tensor1d([0.5]), s1.buffer, { ...o, nesterov: true })
        expect(v(n2.param)[0]).toBeCloseTo(0.94 - 0.16146, 6)
      })
    )
  })

  it("without momentum it is plain gradient descent and keeps no buffer", () => {
    tf.tidy(() => {
      const s = sgdUpdate(tf.tensor1d([2, -1]), tf.tensor1d([1, 1]), undefined, {
        lr: 0.5,
        momentum: 0,
        dampening: 0,
        nesterov: false,
        weightDecay: 0
      })
      expect(v(s.param)).toEqual([1.5, -1.5])
      expect(s.buffer).toBeUndefined()
    })
  })
})

describe("Adam and AdamW", () => {
  it("first step, hand-computed: L2 decay goes through the moments, decoupled decay does not", () => {
    tf.tidy(() => {
      const base = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, t: 1 }
      // Adam: g = 0.5 + 0.1 = 0.6, m = 0.06, v = 0.00036; mhat = 0.6, vhat = 0.36 -> p = 1 - 0.1 * 0.6 / 0.6
      const adam = adamUpdate(tf.tensor1d([1]), tf.tensor1d([0.5]), undefined, undefined, { ...base, decoupled: false })
      expect(v(adam.param)[0]).toBeCloseTo(0.9, 6)
      expect(v(adam.m)[0]).toBeCloseTo(0.06, 7)
      expect(v(adam.v)[0]).toBeCloseTo(0.00036, 9)
      // AdamW: p = 1 * (1 - 0.01) = 0.99, then the Adam step of g = 0.5: 0.1 * 0.5 / 0.5 -> 0.89
      const adamw = adamUpdate(tf.tensor1d([1]), tf.tensor1d([0.5]), undefined, undefined, { ...base, decoupled: true })
      expect(v(adamw.param)[0]).toBeCloseTo(0.89, 6)
      expect(v(adamw.m)[0]).toBeCloseTo(0.05, 7)
    })
  })

  it("second step with bias correction, hand-computed", () => {
    tf.tidy(() => {
      const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false }
      const s1 = adamUpdate(tf.tensor1d([1]), tf.tensor1d([1]), undefined, undefined, { ...o, t: 1 })
      const s2 = adamUpdate(s1.param, tf.tensor1d([-1]), s1.m, s1.v, { ...o, t: 2 })
      const m = 0.9 * 0.1 - 0.1
      const vv = 0.999 * 0.001 + 0.001
      const expected = 0.99 - (0.01 * (m / (1 - 0.81))) / (Math.sqrt(vv / (1 - 0.999 ** 2)) + 1e-8)
      expect(v(s2.param)[0]).toBeCloseTo(expected, 6)
    })
  })

  it("AdamW decays a weight with a zero gradient by exactly (1 - lr wd) per step; Adam leaves it", () => {
    fc.assert(
      fc.property(
        fc.float({ min: -10, max: 10, noNaN: true }),
        fc.float({ min: Math.fround(1e-4), max: Math.fround(0.1), noNaN: true }),
        (p, lr) => {
          tf.tidy(() => {
            const o = { lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05, t: 1 }
            const w = adamUpdate(tf.tensor1d([p]), tf.tensor1d([0]), undefined, undefined, { ...o, decoupled: true })
            expect(v(w.param)[0]).toBeCloseTo(Math.fround(p) * (1 - lr * 0.05), 4)
            const a = adamUpdate(tf.tensor1d([p]), tf.tensor1d([0]), undefined, undefined, {
              ...o,
              weightDecay: 0,
              decoupled: false
            })
            expect(v(a.param)[0]).toBeCloseTo(Math.fround(p), 5)
          })
        }
      ),
      { numRuns: 30 }
    )
  })
})

describe("clipByGlobalNorm", () => {
  it("scales all gradients by maxNorm / globalNorm when above, leaves them otherwise", () => {
    tf.tidy(() => {
      const c = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor1d([4])], 1)
      expect(v(c.norm)[0]).toBeCloseTo(5, 6)
      expect(v(c.grads[0])[0]).toBeCloseTo(0.6, 5)
      expect(v(c.grads[1])[0]).toBeCloseTo(0.8, 5)
      const d = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor1d([4])], 10)
      expect(v(d.grads[1])[0]).toBeCloseTo(4, 6)
    })
  })

  it("never yields a norm above maxNorm (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }),
        (xs, max) => {
          tf.tidy(() => {
            const c = clipByGlobalNorm([tf.tensor1d(xs)], max)
            const n = Math.sqrt(v(c.grads[0]).reduce((s, x) => s + x * x, 0))
            expect(n).toBeLessThanOrEqual(max * (1 + 1e-5))
          })
        }
      ),
      { numRuns: 40 }
    )
  })
})
