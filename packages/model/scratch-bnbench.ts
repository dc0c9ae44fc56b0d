import * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import { batchNorm, Builder } from "./src/index.ts"
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  yield* Backend.Backend
  const shape = [64, 32, 16, 32]
  const c = 32
  const b = new Builder()
  const bn = batchNorm<tf.Tensor4D>(b, { channels: c })
  const gamma = tf.variable(tf.ones([c])), beta = tf.variable(tf.zeros([c]))
  const params = new Map<string, tf.Tensor>([["gamma", gamma], ["beta", beta], ["moving_mean", tf.zeros([c])], ["moving_variance", tf.ones([c])]])
  const ctx = { get: (n: string) => params.get(n)!, training: true, setState: () => {} }
  const x = tf.variable(tf.randomNormal(shape))
  const w = tf.randomNormal(shape)
  const plain = () => { const { mean, variance } = tf.moments(x, [0, 1, 2]); return tf.add(tf.mul(tf.sub(x, mean), tf.mul(tf.rsqrt(tf.add(variance, 1e-5)), gamma)), beta) }
  const fused = () => { const { mean, variance } = tf.moments(x, [0, 1, 2]); return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5) }
  const custom = () => bn(ctx, x as unknown as tf.Tensor4D)
  const time = (f: () => tf.Tensor) => { const t0 = performance.now(); tf.tidy(() => { const { grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), w)) as tf.Scalar, [x, gamma, beta]); Object.values(grads).forEach(g => g.dataSync()) }); return performance.now() - t0 }
  const best: Record<string, number> = { plain: 1e9, fused: 1e9, custom: 1e9 }
  for (let i = 0; i < 40; i++) for (const [k, f] of [["plain", plain], ["fused", fused], ["custom", custom]] as const) best[k] = Math.min(best[k]!, time(f))
  console.log(JSON.stringify(best))
})).pipe(Effect.provide(Backend.layerWasm)))
process.exit(0)
