/**
 * The fused training kernels (`@reidfx/tensor`'s `FusedKernels`) on torch: training-mode batch norm against tfjs's
 * own moments + batchNorm differentiated on cpu (forward, statistics and the gradients of x, scale and offset, over
 * random shapes of rank 2 to 4), one Adam / AdamW step against PyTorch's formula computed by hand in float64, and
 * the pairwise-distance kernel against the distances computed in float64.
 */
import { FusedKernels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  AdamKernel,
  BatchNormTrainingGradKernel,
  BatchNormTrainingKernel,
  PairwiseDistancesKernel
} from "../src/kernels/index.ts"
import { available, on, relativeError, reportSkip, tensor, values } from "./torch.ts"

const TOLERANCE = 1e-4
const runs = { numRuns: Number(process.env["REIDFX_PROPERTY_RUNS"] ?? 12) }

reportSkip()

describe.skipIf(!available)("fused training kernels on torch", () => {
  it("use the kernel names of @reidfx/tensor's FusedKernels, and only torch has them", async () => {
    expect([BatchNormTrainingKernel, BatchNormTrainingGradKernel, AdamKernel, PairwiseDistancesKernel]).toEqual([
      FusedKernels.BatchNormTrainingKernel,
      FusedKernels.BatchNormTrainingGradKernel,
      FusedKernels.AdamKernel,
      FusedKernels.PairwiseDistancesKernel
    ])
    await tf.setBackend("cpu")
    expect(FusedKernels.hasKernel(FusedKernels.AdamKernel)).toBe(false)
    expect(FusedKernels.batchNormTraining(tf.ones([2, 3]), undefined, undefined, 1e-5)).toBeUndefined()
    await tf.setBackend("torch")
    expect(FusedKernels.hasKernel(FusedKernels.AdamKernel)).toBe(true)
  })

  it("batch norm in training mode: output, statistics and gradients agree with moments + batchNorm on cpu", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          shape: fc.oneof(
            fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 })),
            fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 5 })),
            fc.tuple(
              fc.integer({ min: 1, max: 3 }),
              fc.integer({ min: 1, max: 4 }),
              fc.integer({ min: 1, max: 4 }),
              fc.integer({ min: 1, max: 5 })
            )
          ),
          affine: fc.boolean(),
          epsilon: fc.constantFrom(1e-5, 1e-3),
          seed: fc.nat(1000)
        }),
        async ({ shape, affine, epsilon, seed }) => {
          const dims = [...shape] as Array<number>
          const c = dims[dims.length - 1]!
          // with fewer than 4 values per channel dx is nearly all cancellation (x - mean is +-sqrt(var) for 2 values),
          // which float32 cannot compare at 1e-4 between two summation orders
          if (dims.reduce((a, b) => a * b, 1) / c < 4) return
          const x = () => tensor(dims, seed)
          const scale = () => tf.add(tensor([c], seed + 1), 1.5) as tf.Tensor1D
          const offset = () => tensor([c], seed + 2) as tf.Tensor1D
          const weights = () => tensor(dims, seed + 3)
          const axes = dims.slice(0, -1).map((_, i) => i)
          /** [y, mean, variance, dx, dscale, doffset] of loss = sum(y * w), by the fused kernel or by tfjs ops. */
          const parts = (fused: boolean) => (k: number) => () => {
            const f = (xs: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
              if (fused) {
                const r = FusedKernels.batchNormTraining(
                  xs,
                  affine ? (s as tf.Tensor1D) : undefined,
                  affine ? (o as tf.Tensor1D) : undefined,
                  epsilon
                )!
                return [r.y, r.mean, r.variance]
              }
              const { mean, variance } = tf.moments(xs, axes)
              // (tfjs's FusedBatchNorm gradient cannot run without a scale: 1 and 0 stand in for no affine part)
              const [s1, o1] = affine ? [s, o] : [tf.onesLike(s), tf.zerosLike(o)]
              return [tf.batchNorm(xs, mean, variance, o1, s1, epsilon), mean, variance]
            }
            if (k < 3) return f(x(), scale(), offset())[k]!
            const s0 = scale()
            const o0 = offset()
            const loss = (xs: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(f(xs, s, o)[0]!, weights()))
            const grads = affine ? tf.grads(loss)([x(), s0, o0]) : tf.grads((xs: tf.Tensor) => loss(xs, s0, o0))([x()])
            return grads[k - 3]!
          }
          for (let k = 0; k < (affine ? 6 : 4); k++) {
            const torch = await on("torch", parts(true)(k))
            const cpu = await on("cpu", parts(false)(k))
            expect(
              relativeError(torch, cpu),
              `part ${k} of ${JSON.stringify({ dims, affine, epsilon })}`
            ).toBeLessThanOrEqual(TOLERANCE)
          }
        }
      ),
      runs
    )
  })

  it("leaks no tensor: 5 forward + backward passes keep tfjs's and libtorch's counts flat", async () => {
    await tf.setBackend("torch")
    const backend = tf.backend() as unknown as { addon: { stats: () => { liveTensors: number } } }
    const x = tensor([2, 3, 3, 4], 7)
    const s = tf.ones([4]) as tf.Tensor1D
    const pass = () =>
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(FusedKernels.batchNormTraining(a, b as tf.Tensor1D, undefined, 1e-5)!.y)
        )([x, s])
      )
    tf.dispose(pass())
    const before = { tensors: tf.memory().numTensors, live: backend.addon.stats().liveTensors }
    for (let i = 0; i < 5; i++) tf.dispose(pass())
    expect(tf.memory().numTensors).toBe(before.tensors)
    expect(backend.addon.stats().liveTensors).toBe(before.live)
    tf.dispose([x, s])
  })

  it("pairwise distances (squared Euclidean, Euclidean, cosine) equal the float64 definition, without leaks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 7 }),
          g: fc.integer({ min: 1, max: 9 }),
          d: fc.integer({ min: 1, max: 12 }),
          seed: fc.integer({ min: 0, max: 1000 }),
          metric: fc.constantFrom("euclidean" as const, "squaredEuclidean" as const, "cosine" as const)
        }),
        async ({ n, g, d, seed, metric }) => {
          await tf.setBackend("torch")
          const unit = (v: Float32Array) =>
            metric !== "cosine"
              ? v
              : v.map((x, k) => {
                  const r = Math.floor(k / d)
                  return x / Math.hypot(...v.subarray(r * d, (r + 1) * d))
                })
          const qv = unit(values([n, d], seed))
          // gallery row 0 repeats query row 0: a zero distance the clamp must keep at 0, not -1e-7 (or NaN after sqrt)
          const gv = unit(values([g, d], seed + 1))
          gv.set(qv.subarray(0, d), 0)
          const norms = (v: Float32Array, rows: number) =>
            Float32Array.from({ length: rows }, (_, r) => v.subarray(r * d, (r + 1) * d).reduce((s, x) => s + x * x, 0))
          const before = tf.memory().numTensors
          const out = tf.tidy(
            () =>
              FusedKernels.pairwiseDistances(
                tf.tensor2d(qv, [n, d]),
                tf.tensor2d(gv, [g, d]),
                tf.tensor2d(norms(qv, n), [n, 1]),
                tf.tensor1d(norms(gv, g)),
                metric
              )!
          )
          expect(out.shape).toEqual([n, g])
          const got = out.dataSync()
          out.dispose()
          expect(tf.memory().numTensors).toBe(before)
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < g; j++) {
              let dot = 0
              let sq = 0
              for (let k = 0; k < d; k++) {
                dot += qv[i * d + k]! * gv[j * d + k]!
                sq += (qv[i * d + k]! - gv[j * d + k]!) ** 2
              }
              const value = got[i * g + j]!
              // the product form's absolute error is float32 rounding of |q|^2 + |g|^2 (each <= d here): compared on
              // the squared scale, where the square root cannot amplify it
              const error = metric === "cosine" ? value - (1 - dot) : (metric === "euclidean" ? value ** 2 : value) - sq
              expect(Math.abs(error), `${metric} [${i}, ${j}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, d))
              expect(got[i * g + j]).toBeGreaterThanOrEqual(metric === "cosine" ? -1e-6 : 0)
            }
          }
        }
      ),
      runs
    )
  })

  it("one Adam / AdamW step equals PyTorch's formula (computed here in float64)", async () => {
    await tf.setBackend("torch")
    const n = 7
    const p = values([n], 1)
    const g = values([n], 2)
    const m = values([n], 3).map((v) => v * 0.1)
    const v = values([n], 4).map((x) => x * x * 0.01)
    for (const o of [
      { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, t: 1 },
      { lr: 3.5e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 5e-4, decoupled: false, t: 7 },
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05, decoupled: true, t: 30 }
    ]) {
      // PyTorch torch/optim/adam.py _single_tensor_adam, by hand
      const expected = { param: [] as Array<number>, m: [] as Array<number>, v: [] as Array<number> }
      for (let i = 0; i < n; i++) {
        let pi = p[i]!
        let gi = g[i]!
        if (o.weightDecay !== 0) {
          if (o.decoupled) pi *= 1 - o.lr * o.weightDecay
          else gi += o.weightDecay * pi
        }
        const mi = o.beta1 * m[i]! + (1 - o.beta1) * gi
        const vi = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi
        const denom = Math.sqrt(vi) / Math.sqrt(1 - o.beta2 ** o.t) + o.epsilon
        expected.param.push(pi - (o.lr / (1 - o.beta1 ** o.t)) * (mi / denom))
        expected.m.push(mi)
        expected.v.push(vi)
      }
      const inputs = [p, g, m, v].map((a) => tf.tensor1d(a))
      const r = FusedKernels.adamStep(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!, o)!
      for (const key of ["param", "m", "v"] as const) {
        const got = r[key].dataSync()
        for (let i = 0; i < n; i++)
          expect(got[i]!, `${key}[${i}] with ${JSON.stringify(o)}`).toBeCloseTo(expected[key][i]!, 6)
      }
      tf.dispose([...inputs, r.param, r.m, r.v])
    }
  })
})
