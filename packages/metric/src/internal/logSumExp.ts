/**
 * Masked log-sum-exp along rows, PML's `lmu.logsumexp(x, keep_mask, add_one, dim=1)` (`utils/loss_and_miner_utils.py`):
 *
 *     lse_i = log( [add_one] + sum_{j : mask_ij} exp(x_ij) ),    and exactly 0 for a row without a kept entry
 *
 * computed with a constant row maximum (read from the values), so it is exact and stable for large scales
 * (alpha = 50, gamma = 128). Differentiable in `x`; the mask is a constant.
 * @since 0.2.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** Masked row log-sum-exp (see the module doc). @category math */
export const maskedLogSumExp = (x: tf.Tensor2D, mask: ArrayLike<number>, addOne: boolean): tf.Tensor1D =>
  tf.tidy(() => {
    const [rows, cols] = x.shape
    const v = x.dataSync()
    const max = new Float32Array(rows)
    const any = new Float32Array(rows)
    for (let i = 0; i < rows; i++) {
      let m = addOne ? 0 : Number.NEGATIVE_INFINITY
      for (let j = 0; j < cols; j++) {
        if (mask[i * cols + j] !== 0) {
          any[i] = 1
          if (v[i * cols + j]! > m) m = v[i * cols + j]!
        }
      }
      max[i] = any[i] === 1 && Number.isFinite(m) ? m : 0
    }
    const mk = tf.tensor2d(Float32Array.from(mask), [rows, cols])
    const mx = tf.tensor2d(max, [rows, 1])
    let sum: tf.Tensor = tf.sum(tf.mul(tf.exp(tf.mul(tf.sub(x, mx), mk)), mk), 1)
    if (addOne) sum = tf.add(sum, tf.exp(tf.neg(tf.tensor1d(max))))
    const has = tf.tensor1d(any)
    const safe = tf.add(tf.mul(sum, has), tf.sub(1, has))
    return tf.mul(tf.add(tf.log(safe), tf.tensor1d(max)), has) as tf.Tensor1D
  })

/** `log(exp(a) + exp(b))` elementwise, stable; `-Infinity` entries are allowed in neither (use {@link maskedLogSumExp}). @category math */
export const logAddExp = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const m = tf.maximum(a, b)
    return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))))
  })
