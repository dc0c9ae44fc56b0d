/**
 * Instance normalisation (Ulyanov, Vedaldi and Lempitsky, "Instance Normalization: The Missing Ingredient for
 * Fast Stylization", 2016) of `[B, H, W, C]` maps, with a learned affine transform, as PyTorch's
 * `nn.InstanceNorm2d(C, affine=True)` (no running statistics: training and inference both normalise each sample):
 *
 *     y[b, h, w, c] = gamma_c * (x[b, h, w, c] - mu[b, c]) / sqrt(sigma2[b, c] + eps) + beta_c
 *     mu[b, c] = mean_{h,w} x[b, h, w, c],  sigma2[b, c] = mean_{h,w} (x - mu)^2  (biased), eps = 1e-5
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward } from "./Builder.ts"

/** Options of the instance normalisation layer. */
export interface InstanceNormOptions {
  readonly channels: number
  readonly epsilon?: number
}

/** Instance normalisation with `gamma` (init 1) and `beta` (init 0) per channel. */
export const instanceNorm = (b: Builder, options: InstanceNormOptions): Forward => {
  const c = options.channels
  const eps = options.epsilon ?? 1e-5
  const gamma = b.param("gamma", [c], { kind: "constant", value: 1 })
  const beta = b.param("beta", [c], { kind: "constant", value: 0 })
  return (ctx, x) => {
    const mean = tf.mean(x, [1, 2], true)
    const centred = tf.sub(x, mean)
    const variance = tf.mean(tf.square(centred), [1, 2], true)
    return tf.add(
      tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), ctx.get(gamma)),
      ctx.get(beta)
    ) as tf.Tensor4D
  }
}
