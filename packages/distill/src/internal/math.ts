/** @internal Small tensor helpers shared by the distillation terms. */
import * as tf from "@tensorflow/tfjs-core"
import { untaped } from "../Gradient.ts"

/** `[N]` row-wise KL(P || Q) = sum_k p_k (log p_k - log q_k), from log-probabilities (rows of `[N, K]`). */
export const klRows = (logP: tf.Tensor2D, logQ: tf.Tensor2D): tf.Tensor1D =>
  tf.tidy(() => tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1) as tf.Tensor1D)

/** Row-wise log-softmax of `logits / temperature`. */
export const logSoftmaxT = (logits: tf.Tensor2D, temperature: number): tf.Tensor2D =>
  tf.tidy(() => tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature), -1) as tf.Tensor2D)

/**
 * `log sigmoid(z) = -softplus(-z)`. Not `tf.logSigmoid`: its custom gradient reads its input after a
 * surrounding `tf.tidy` may have disposed it (tfjs 4.22), which breaks backprop through intermediate tensors.
 */
export const logSigmoid = (z: tf.Tensor): tf.Tensor => tf.tidy(() => tf.neg(tf.softplus(tf.neg(z))))

/**
 * `[T]` KL between two-way distributions `[p, 1 - p]` given as logits `z` (`p = sigmoid(z)`), in log space:
 * `p_t (log p_t - log p_s) + (1 - p_t)(log(1 - p_t) - log(1 - p_s))` with `log p = logSigmoid(z)`,
 * `log(1 - p) = logSigmoid(-z)`.
 */
export const binaryKL = (target: tf.Tensor1D, input: tf.Tensor1D): tf.Tensor1D =>
  tf.tidy(() => {
    const lpT = logSigmoid(target)
    const lqT = logSigmoid(tf.neg(target))
    const lpS = logSigmoid(input)
    const lqS = logSigmoid(tf.neg(input))
    return tf.add(tf.mul(tf.exp(lpT), tf.sub(lpT, lpS)), tf.mul(tf.exp(lqT), tf.sub(lqT, lqS))) as tf.Tensor1D
  })

/**
 * Huber / smooth L1 with threshold 1: `0.5 x^2` if `|x| < 1`, else `|x| - 0.5`. The branch mask is computed off
 * the tape (tfjs has no gradient for comparisons).
 */
export const smoothL1 = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const ax = tf.abs(x)
    const inside = untaped(() => tf.less(ax, 1))
    return tf.where(inside, tf.mul(tf.square(x), 0.5), tf.sub(ax, 0.5))
  })

/** `[B, B]` float mask of the pairs `i < j` (a constant). */
export const upperPairs = (n: number): tf.Tensor2D =>
  tf.tidy(() => tf.sub(tf.linalg.bandPart(tf.ones([n, n]), 0, -1), tf.eye(n)) as tf.Tensor2D)
