/**
 * The gradient of `FusedBatchNorm` (tf.batchNorm, used by tf.layers' BatchNormalization) on wasm, without `Tile`.
 *
 * tfjs 4.22 computes dx as dy * tile(rsqrt(var + eps), activation shape) * scale, and each per-channel gradient
 * as a reduction over several activation-sized products. wasm's `Tile` is slow (~430 ms per step of the reference
 * net). Here with r = rsqrt(var + eps), S1 = sum(dy) and S2 = sum((x - mean) * dy) over the reduced axes:
 *
 *   dx = dy * (r * scale)         (broadcast, one activation-sized product)
 *   dmean = -r * scale * S1       dvariance = -0.5 * r^3 * scale * S2
 *   dscale = r * S2               doffset = S1
 *
 * the same maths as the stock gradient with two activation-sized reductions instead of five. Gradients are global
 * in tfjs (not per backend), so on any other backend this delegates to the stock gradient.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

interface Attrs {
  readonly varianceEpsilon: number
}

/** The broadcasting FusedBatchNorm gradient, given the saved `[x, mean, variance, scale]`. */
export const fusedBatchNormGrad = (
  dy: tf.Tensor,
  saved: ReadonlyArray<tf.Tensor | undefined>,
  varianceEpsilon: number
): Record<string, () => tf.Tensor> => {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined]
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape)
  const reduce = (t: tf.Tensor) => tf.reshape(axes.length === 0 ? t : tf.sum(t, axes), mean.shape)
  const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)))
  const scaled = scale === undefined ? r : tf.mul(r, scale)
  const s1 = reduce(dy)
  const s2 = tf.tidy(() => reduce(tf.mul(tf.sub(x, mean), dy)))
  return {
    x: () => tf.reshape(tf.mul(dy, scaled), x.shape),
    mean: () => tf.neg(tf.mul(scaled, s1)),
    variance: () => tf.mul(tf.mul(tf.mul(tf.square(r), scaled), tf.scalar(-0.5)), s2),
    scale: () => tf.reshape(tf.mul(r, s2), mean.shape),
    offset: () => s1
  }
}

let stock: tf.GradConfig | undefined
const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  if (tf.getBackend() !== "wasm" && stock !== undefined) return stock.gradFunc(dy, saved, attrs)
  return fusedBatchNormGrad(dy as tf.Tensor, saved, (attrs as unknown as Attrs).varianceEpsilon)
}

/**
 * Installs the gradient, keeping the stock one for other backends. Idempotent; it re-installs itself if
 * something (e.g. importing tfjs-layers later, which registers every core gradient) replaced it.
 */
export const installFusedBatchNormGrad = (): void => {
  const current = tf.getGradient("FusedBatchNorm")
  if (current?.gradFunc === gradFunc) return
  stock = current
  tf.registerGradient({ kernelName: "FusedBatchNorm", inputsToSave: ["x", "mean", "variance", "scale"], gradFunc })
}

/**
 * Puts back the gradient this one replaced (if this one is still the registered one: an override installed
 * over it, which delegates to it, is left in place).
 */
export const uninstallFusedBatchNormGrad = (): void => {
  if (tf.getGradient("FusedBatchNorm")?.gradFunc !== gradFunc) return
  if (stock === undefined) tf.unregisterGradient("FusedBatchNorm")
  else tf.registerGradient(stock)
}

/** Whether this gradient is the registered FusedBatchNorm gradient. */
export const fusedBatchNormGradInstalled = (): boolean => tf.getGradient("FusedBatchNorm")?.gradFunc === gradFunc

/** The stock FusedBatchNorm gradient config this one delegates to off wasm. */
export const stockFusedBatchNormGrad = (): tf.GradConfig | undefined => stock
