/**
 * Horizontal stripes of a feature map: `[B, h, w, C] -> [B, S, C]`, stripe `s` averaging (or max-pooling) the
 * rows `floor(s h / S) .. floor((s + 1) h / S) - 1` over their whole width. With `S = h` each row is a stripe
 * (AlignedReID's local branch); with `S = 6` these are PCB's uniform parts (Sun et al., ECCV 2018).
 * Average pooling is a product with a constant `[S, h]` matrix (differentiable on every backend).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** The `[S, h]` row-averaging matrix of {@link stripes} (each row of it sums to 1). @category math @since 0.1.0 */
export const stripeMatrix = (h: number, s: number): tf.Tensor2D => {
  if (s > h) throw new Error(`stripes: ${s} stripes need at least ${s} rows of feature map, got ${h}`)
  const m = new Float32Array(s * h)
  for (let i = 0; i < s; i++) {
    const [from, to] = [Math.floor((i * h) / s), Math.floor(((i + 1) * h) / s)]
    for (let r = from; r < to; r++) m[i * h + r] = 1 / (to - from)
  }
  return tf.tensor2d(m, [s, h])
}

/** `[B, h, w, C] -> [B, S, C]` by averaging each stripe's rows and columns. @category math @since 0.1.0 */
export const stripes = (map: tf.Tensor4D, s: number): tf.Tensor3D =>
  tf.tidy(() => {
    const [b, h, , c] = map.shape
    const rows = tf.mean(map, 2) // [B, h, C]
    if (s === h) return rows as tf.Tensor3D
    const pooled = tf.matMul(stripeMatrix(h, s), tf.reshape(tf.transpose(rows, [1, 0, 2]), [h, b * c])) // [S, B*C]
    return tf.transpose(tf.reshape(pooled, [s, b, c]), [1, 0, 2]) as tf.Tensor3D
  })
