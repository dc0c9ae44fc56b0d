/**
 * Temporal pooling: from the `[B, T, D]` frame embeddings of a clip to one `[B, D]` clip embedding.
 *
 * | kind | formula | parameters | source |
 * |---|---|---|---|
 * | `mean` (default) | `f = (1/T) sum_t f_t` | none | temporal average pooling, the strong video ReID baseline (Gao and Nevatia, "Revisiting Temporal Modeling for Video-based Person ReID", 2018) |
 * | `max` | `f_d = max_t f_{t,d}` | none | temporal max pooling (same paper; McLaughlin et al. CVPR 2016 compare both) |
 * | `quality` | `q_t = sigmoid(w . f_t + b)`, `f = sum_t q_t f_t / sum_t q_t` | `w` `[D]`, `b` `[1]` | quality-aware aggregation (Liu, Yan and Ouyang, "Quality Aware Network for Set to Set Recognition", CVPR 2017) |
 *
 * `quality` is attention-free: each frame gets a score from its own embedding alone (no frame looks at another
 * frame, no query/key products), and the scores are normalised by their sum, not a softmax over frames, so a
 * clip of identical frames pools to that frame for every (w, b), and a single frame is returned unchanged.
 * With `w = 0` every frame gets the same weight and `quality` equals `mean`.
 *
 * Every kind maps a one-frame clip to its frame embedding, which is what makes one model usable for images
 * (the I2V query) and videos (the gallery).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Tensor } from "@reidfx/tensor"

/** The temporal pooling kinds. @category models @since 0.1.0 */
export type TemporalPoolingKind = "mean" | "max" | "quality"

/** The temporal pooling kinds, for Schema literals. @category models @since 0.1.0 */
export const temporalPoolingKinds: ReadonlyArray<TemporalPoolingKind> = ["mean", "max", "quality"]

/**
 * Temporal average pooling: `f = (1/T) sum_t f_t` over `[B, T, D]` frame embeddings.
 * @category pooling
 * @since 0.1.0
 */
export const temporalMean = (frames: tf.Tensor3D): tf.Tensor2D => {
  Tensor.assertShapes("temporalMean: frames", [[frames, [null, null, null]]])
  return tf.tidy(() => tf.mean(frames, 1) as tf.Tensor2D)
}

/**
 * Temporal max pooling: `f_d = max_t f_{t,d}` over `[B, T, D]` frame embeddings (the gradient goes to the arg-max
 * frame of each dimension).
 * @category pooling
 * @since 0.1.0
 */
export const temporalMax = (frames: tf.Tensor3D): tf.Tensor2D => {
  Tensor.assertShapes("temporalMax: frames", [[frames, [null, null, null]]])
  return tf.tidy(() => tf.max(frames, 1) as tf.Tensor2D)
}

/**
 * The per-frame quality scores of quality-aware pooling (Liu et al. CVPR 2017): `q_t = sigmoid(w . f_t + b)`,
 * in (0, 1), `[B, T]`.
 * @category pooling
 * @since 0.1.0
 */
export const frameQuality = (frames: tf.Tensor3D, w: tf.Tensor1D, b: tf.Tensor): tf.Tensor2D => {
  Tensor.assertShapes("frameQuality", [
    [frames, [null, null, "D"], "frames"],
    [w, ["D"], "w"]
  ])
  const [batch, time, dim] = frames.shape
  return tf.tidy(() => {
    const flat = tf.reshape(frames, [batch * time, dim]) as tf.Tensor2D
    const scores = tf.add(tf.matMul(flat, tf.reshape(w, [dim, 1]) as tf.Tensor2D), tf.reshape(b, []))
    return tf.reshape(tf.sigmoid(scores), [batch, time]) as tf.Tensor2D
  })
}

/**
 * Quality-weighted temporal pooling (Liu et al., "Quality Aware Network for Set to Set Recognition", CVPR 2017):
 * `f = sum_t q_t f_t / sum_t q_t` with `q_t = sigmoid(w . f_t + b)`. Attention-free (see the module comment);
 * equals {@link temporalMean} when `w = 0`.
 * @category pooling
 * @since 0.1.0
 */
export const temporalQuality = (frames: tf.Tensor3D, w: tf.Tensor1D, b: tf.Tensor): tf.Tensor2D =>
  tf.tidy(() => {
    const q = frameQuality(frames, w, b) // [B, T]
    const weighted = tf.sum(tf.mul(frames, tf.expandDims(q, 2)), 1) // [B, D]
    return tf.div(weighted, tf.sum(q, 1, true)) as tf.Tensor2D
  })

/**
 * Pools `[B, T, D]` frame embeddings with the given kind; `quality` needs its parameters `w` `[D]` and `b`.
 * @category pooling
 * @since 0.1.0
 */
export const temporalPool = (
  kind: TemporalPoolingKind,
  frames: tf.Tensor3D,
  quality?: { readonly w: tf.Tensor1D; readonly b: tf.Tensor }
): tf.Tensor2D => {
  return temporalPoolings[kind](frames, quality)
}

/** Each {@link TemporalPoolingKind}'s pooling (a record of handlers: adding a kind is its literal and its entry here). */
const temporalPoolings: {
  readonly [K in TemporalPoolingKind]: (
    frames: tf.Tensor3D,
    quality: { readonly w: tf.Tensor1D; readonly b: tf.Tensor } | undefined
  ) => tf.Tensor2D
} = {
  mean: (frames) => temporalMean(frames),
  max: (frames) => temporalMax(frames),
  quality: (frames, quality) => {
    if (quality === undefined) throw new RangeError("temporalPool: the quality kind needs its parameters w and b")
    return temporalQuality(frames, quality.w, quality.b)
  }
}
