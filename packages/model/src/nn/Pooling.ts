/**
 * Global pooling of a `[B, H, W, C]` feature map into `[B, C]`.
 *
 * - average: `f_c = mean_{h,w} x_{h,w,c}`
 * - max: `f_c = max_{h,w} x_{h,w,c}`
 * - GeM, generalized-mean pooling (Radenovic, Tolias and Chum, TPAMI 2019):
 *   `f_c = (mean_{h,w} max(x, eps)^p)^(1/p)` with a learnable `p` (initial 3): p = 1 is average pooling,
 *   p -> infinity tends to max pooling.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward } from "./Builder.ts"

/** Global pooling of a feature map: average, max, or generalised mean (GeM, Radenovic et al. 2018). */
export type PoolingKind = "avg" | "max" | "gem"

/** Options of global pooling. */
export interface PoolingOptions {
  readonly kind: PoolingKind
  /** Initial GeM exponent (default 3, as in the paper). */
  readonly gemP?: number
  /** Learn p (default true). */
  readonly gemLearnable?: boolean
  /** Clamp before the power (default 1e-6). */
  readonly gemEpsilon?: number
}

/** Global average pooling. */
export const globalAveragePool = (x: tf.Tensor4D): tf.Tensor2D => tf.mean(x, [1, 2]) as tf.Tensor2D

/** Global max pooling. */
export const globalMaxPool = (x: tf.Tensor4D): tf.Tensor2D => tf.max(x, [1, 2]) as tf.Tensor2D

/** GeM pooling with exponent `p` (a scalar tensor, so it can be learned). */
export const gemPool = (x: tf.Tensor4D, p: tf.Tensor, epsilon = 1e-6): tf.Tensor2D => {
  const pScalar = tf.reshape(p, [])
  const powered = tf.pow(tf.maximum(x, epsilon), pScalar)
  return tf.pow(tf.mean(powered, [1, 2]), tf.div(1, pScalar)) as tf.Tensor2D
}

/** A global pooling module; GeM declares a parameter `p` `[1]`. */
export const globalPool = (b: Builder, options: PoolingOptions): Forward<tf.Tensor4D, tf.Tensor2D> =>
  poolings[options.kind](b, options)

/** The pooling module of each kind (a record of handlers: adding a pooling is its kind and its entry here). */
const poolings: {
  readonly [K in PoolingKind]: (b: Builder, options: PoolingOptions) => Forward<tf.Tensor4D, tf.Tensor2D>
} = {
  avg: () => (_ctx, x) => globalAveragePool(x),
  max: () => (_ctx, x) => globalMaxPool(x),
  gem: (b, options) => {
    const p = b.param(
      "p",
      [1],
      { kind: "constant", value: options.gemP ?? 3 },
      { trainable: options.gemLearnable ?? true }
    )
    const eps = options.gemEpsilon ?? 1e-6
    return (ctx, x) => gemPool(x, ctx.get(p), eps)
  }
}
