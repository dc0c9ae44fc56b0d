/**
 * The update rules as pure functions of tensors (no state, no Effect): given a parameter, its gradient and
 * its optimizer slots, the new parameter and slots. They follow PyTorch's `torch.optim` exactly.
 * @since 0.1.0
 */
import { FusedKernels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"

/**
 * SGD (PyTorch `SGD`):
 *
 *     d = g + wd * p
 *     b = d                              (first step)
 *     b = mu * b + (1 - dampening) * d   (later steps)
 *     d = d + mu * b (Nesterov) or d = b
 *     p = p - lr * d
 *
 * With `momentum = 0` there is no buffer (`buffer` stays undefined).
 */
export const sgdUpdate = (
  p: tf.Tensor,
  g: tf.Tensor,
  buffer: tf.Tensor | undefined,
  o: {
    readonly lr: number
    readonly momentum: number
    readonly dampening: number
    readonly nesterov: boolean
    readonly weightDecay: number
  }
): { readonly param: tf.Tensor; readonly buffer: tf.Tensor | undefined } =>
  tf.tidy(() => {
    let d = o.weightDecay === 0 ? g : tf.add(g, tf.mul(p, o.weightDecay))
    let b: tf.Tensor | undefined
    if (o.momentum !== 0) {
      b =
        buffer === undefined
          ? d
          : tf.add(tf.mul(buffer, o.momentum), o.dampening === 0 ? d : tf.mul(d, 1 - o.dampening))
      d = o.nesterov ? tf.add(d, tf.mul(b, o.momentum)) : b
    }
    const param = tf.sub(p, tf.mul(d, o.lr))
    return b === undefined ? { param, buffer: undefined } : { param, buffer: b.clone() }
  })

/**
 * Adam / AdamW at step t (1-based), PyTorch's form:
 *
 *     AdamW: p = p * (1 - lr * wd)          (decoupled decay, applied to the parameter)
 *     Adam:  g = g + wd * p                 (L2 decay, added to the gradient)
 *     m = b1 * m + (1 - b1) * g
 *     v = b2 * v + (1 - b2) * g^2
 *     p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * Decoupled decay shrinks every weight by the same factor whatever its gradient history; L2 decay in Adam is
 * rescaled by 1/sqrt(v) and so decays weights with large gradients less (Loshchilov and Hutter 2019).
 * On a backend with the fused `ReidfxAdam` kernel (torch) the step is that one kernel.
 */
export const adamUpdate = (
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor | undefined,
  v: tf.Tensor | undefined,
  o: {
    readonly lr: number
    readonly beta1: number
    readonly beta2: number
    readonly epsilon: number
    readonly weightDecay: number
    readonly decoupled: boolean
    /** 1-based step count. */
    readonly t: number
  }
): { readonly param: tf.Tensor; readonly m: tf.Tensor; readonly v: tf.Tensor } =>
  tf.tidy(() => {
    // one fused kernel where the backend has it (torch)
    const fused = FusedKernels.adamStep(p, g, m ?? tf.zerosLike(p), v ?? tf.zerosLike(p), o)
    if (fused !== undefined) return fused
    let param = p
    let grad = g
    if (o.weightDecay !== 0) {
      if (o.decoupled) param = tf.mul(p, 1 - o.lr * o.weightDecay)
      else grad = tf.add(g, tf.mul(p, o.weightDecay))
    }
    const m1 = tf.add(tf.mul(m ?? tf.zerosLike(p), o.beta1), tf.mul(grad, 1 - o.beta1))
    const v1 = tf.add(tf.mul(v ?? tf.zerosLike(p), o.beta2), tf.mul(tf.square(grad), 1 - o.beta2))
    const c1 = 1 - o.beta1 ** o.t
    const c2 = 1 - o.beta2 ** o.t
    // PyTorch: denom = sqrt(v) / sqrt(c2) + eps; p -= (lr / c1) * m / denom
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(c2)), o.epsilon)
    const next = tf.sub(param, tf.mul(tf.div(m1, denom), o.lr / c1))
    return { param: next, m: m1, v: v1 }
  })

/**
 * Gradient clipping by global norm (PyTorch `clip_grad_norm_`): with N = sqrt(sum_i ||g_i||^2), every
 * gradient is scaled by min(1, maxNorm / (N + 1e-6)). Returns the clipped gradients and N.
 */
export const clipByGlobalNorm = (
  grads: ReadonlyArray<tf.Tensor>,
  maxNorm: number
): { readonly grads: ReadonlyArray<tf.Tensor>; readonly norm: tf.Scalar } =>
  tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)))
    const norm = tf.sqrt(squares.length === 0 ? tf.scalar(0) : tf.addN(squares)) as tf.Scalar
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)))
    return { grads: grads.map((g) => tf.mul(g, scale)), norm }
  })
