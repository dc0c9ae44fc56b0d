/**
 * Batch normalisation (Ioffe and Szegedy, ICML 2015) over the last axis, written with plain ops and a closed-form
 * gradient (no `Tile`, slow on wasm), so it can run without a bias (`center: false`,
 * the BNNeck of Luo et al. 2019, which tf.layers cannot train).
 *
 *     training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta
 *                running_mean <- (1 - momentum) * running_mean + momentum * mean_B
 *                running_var  <- (1 - momentum) * running_var  + momentum * var_B * n / (n - 1)
 *     inference: y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
 *
 * `momentum` follows PyTorch's convention (0.1 = weight of the new batch), and the running variance uses the
 * unbiased batch variance as PyTorch does.
 *
 * In training, a backend with the fused `ReidfxBatchNormTraining` kernel (the torch backend) computes the
 * statistics, the normalisation and, in the backward pass, the gradient in one kernel each (`FusedKernels`
 * of `@reidfx/tensor`); other backends run the plain form below.
 * @since 0.1.0
 */
import { FusedKernels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { detach } from "../detach.ts"
import type { Builder, Forward } from "./Builder.ts"

/** Options of a BatchNorm layer: channels, epsilon (default 1e-5), momentum of the running statistics, affine parameters. */
export interface BatchNormOptions {
  readonly channels: number
  readonly epsilon?: number
  readonly momentum?: number
  /** Learn a bias `beta` (default true). */
  readonly center?: boolean
  /** Learn a scale `gamma` (default true). */
  readonly scale?: boolean
  /** Initial gamma (default 1; 0 for the "zero-init residual" trick). */
  readonly gammaInit?: number
}

/** Column sums of a `[M, C]` matrix as `[1, C]`. */
const columnSums = (x: tf.Tensor2D): tf.Tensor2D => tf.sum(x, 0, true)

/**
 * The training-mode normalisation `y = gamma * (x - mean) * rstd + beta` of a `[M, C]` matrix with a hand-written
 * gradient (batch statistics `mean`, `rstd` are closed over; their dependence on x is in the formula):
 *
 *     dbeta = sum_m dy,  dgamma = sum_m dy * xhat,
 *     dx = gamma * rstd / M * (M * dy - dbeta - xhat * dgamma)
 *
 * This is the closed form of the batch-norm gradient (Ioffe and Szegedy 2015, section 3); it replaces a chain of
 * broadcasting ops with two column sums and a few element-wise ops.
 */
const normalizeTraining = (
  x: tf.Tensor2D,
  gamma: tf.Tensor2D,
  beta: tf.Tensor2D,
  mean: tf.Tensor2D,
  rstd: tf.Tensor2D
): tf.Tensor2D =>
  tf.customGrad(((xIn: tf.Tensor, gammaIn: tf.Tensor, betaIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const xhat = tf.mul(tf.sub(xIn, mean), rstd)
    // tfjs frees the forward pass's tensors before the backward pass: whatever gradFunc reads must be saved
    save([xhat, gammaIn, rstd])
    return {
      value: tf.add(tf.mul(xhat, gammaIn), betaIn),
      gradFunc: (dy: tf.Tensor, saved: Array<tf.Tensor>) => {
        const [xh, g, r] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]
        const m = dy.shape[0]!
        const dBeta = columnSums(dy as tf.Tensor2D)
        const dGamma = columnSums(tf.mul(dy, xh) as tf.Tensor2D)
        const dx = tf.mul(tf.mul(g, tf.div(r, m)), tf.sub(tf.sub(tf.mul(dy, m), dBeta), tf.mul(xh, dGamma)))
        return [dx, dGamma, dBeta]
      }
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])(x, gamma, beta) as tf.Tensor2D

/** Batch normalisation over the channel (last) axis of `[..., C]` tensors. */
export const batchNorm = <T extends tf.Tensor>(b: Builder, options: BatchNormOptions): Forward<T, T> => {
  const c = options.channels
  const eps = options.epsilon ?? 1e-5
  const momentum = options.momentum ?? 0.1
  const gamma =
    options.scale === false ? undefined : b.param("gamma", [c], { kind: "constant", value: options.gammaInit ?? 1 })
  const beta = options.center === false ? undefined : b.param("beta", [c], { kind: "constant", value: 0 })
  const movingMean = b.param("moving_mean", [c], { kind: "constant", value: 0 }, { trainable: false })
  const movingVariance = b.param("moving_variance", [c], { kind: "constant", value: 1 }, { trainable: false })
  return (ctx, x) => {
    if (ctx.training) {
      const n = x.size / c
      const updateRunning = (mean: tf.Tensor, variance: tf.Tensor) => {
        ctx.setState(
          movingMean,
          tf.add(tf.mul(ctx.get(movingMean), 1 - momentum), tf.mul(tf.reshape(mean, [c]), momentum))
        )
        const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance
        ctx.setState(
          movingVariance,
          tf.add(tf.mul(ctx.get(movingVariance), 1 - momentum), tf.mul(tf.reshape(unbiased, [c]), momentum))
        )
      }
      // one fused kernel where the backend has it (torch: ATen's native_batch_norm and its backward)
      const fused = FusedKernels.batchNormTraining(
        x,
        gamma === undefined ? undefined : (ctx.get(gamma) as tf.Tensor1D),
        beta === undefined ? undefined : (ctx.get(beta) as tf.Tensor1D),
        eps
      )
      if (fused !== undefined) {
        updateRunning(fused.mean, fused.variance)
        return fused.y
      }
      const x2 = tf.reshape(x, [-1, c]) as tf.Tensor2D
      // batch statistics, off the gradient tape (the closed-form gradient accounts for them)
      const xd = detach(x2)
      const mean = tf.div(columnSums(xd), n) as tf.Tensor2D
      const variance = tf.div(columnSums(tf.square(tf.sub(xd, mean)) as tf.Tensor2D), n) as tf.Tensor2D
      updateRunning(mean, variance)
      const rstd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D
      const g = gamma === undefined ? tf.ones([1, c]) : tf.reshape(ctx.get(gamma), [1, c])
      const bt = beta === undefined ? tf.zeros([1, c]) : tf.reshape(ctx.get(beta), [1, c])
      return tf.reshape(normalizeTraining(x2, g as tf.Tensor2D, bt as tf.Tensor2D, mean, rstd), x.shape) as T
    }
    let factor = tf.rsqrt(tf.add(ctx.get(movingVariance), eps))
    if (gamma !== undefined) factor = tf.mul(factor, ctx.get(gamma))
    let y = tf.mul(tf.sub(x, ctx.get(movingMean)), factor)
    if (beta !== undefined) y = tf.add(y, ctx.get(beta))
    return y as T
  }
}
