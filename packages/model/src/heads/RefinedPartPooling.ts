/**
 * Refined part pooling (RPP), the second contribution of PCB (Sun, Zheng, Yang, Tian & Wang, "Beyond Part Models:
 * Person Retrieval with Refined Part Pooling (and A Strong Convolutional Baseline)", ECCV 2018, Sec. 3.2): instead
 * of cutting the feature map into uniform stripes, a part classifier assigns every column vector `f` (one spatial
 * location of the `[H, W, C]` map) softly to the `p` parts,
 *
 *     P(P_i | f) = softmax_i(W_i^T f)                                   (Eq. 2; W: [C, p], no bias)
 *     g_i = (1 / (H W)) sum_f P(P_i | f) f                              (Eq. 3: average pooling of the weighted map)
 *
 * so each part gathers the locations that look like it, wherever they are. With `P(P_i | f)` the indicator of the
 * uniform stripe holding `f`, `g_i` is the stripe mean times `1/p` (a stripe holds `HW/p` of the `HW` locations):
 * {@link uniformAssignment} is that case (the tests check it equals `stripes(map, p) / p`).
 *
 * The paper trains RPP in a second stage ("induced training"): PCB is trained with uniform stripes, then the part
 * classifier is trained with the rest frozen, then everything is fine-tuned. Here it is a head option
 * (`head.parts.refined: true`, parameter `parts/rpp/kernel` `[C, p]`); the staged schedule is left to the run (load
 * the uniform PCB's weights with `Weights.load(model, dir, { strict: false })` into the refined model).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/**
 * The soft part assignment `P(P_i | f)` of every location: `[B, H W, p]`, rows summing to 1, from a `[B, H, W, C]`
 * map and a `[C, p]` part classifier.
 * @category math
 */
export const partAssignment = (map: tf.Tensor4D, classifier: tf.Tensor2D): tf.Tensor3D =>
  tf.tidy(() => {
    const [b, h, w, c] = map.shape
    const x = tf.reshape(map, [b, h * w, c]) as tf.Tensor3D
    return tf.softmax(
      tf.reshape(tf.matMul(tf.reshape(x, [b * h * w, c]), classifier), [b, h * w, classifier.shape[1]])
    ) as tf.Tensor3D
  })

/**
 * Pools a `[B, H, W, C]` map into `[B, p, C]` parts with a soft assignment `[B, H W, p]` (Eq. 3):
 * `g_i = (1 / HW) sum_f P(P_i | f) f`.
 * @category math
 */
export const poolByAssignment = (map: tf.Tensor4D, assignment: tf.Tensor3D): tf.Tensor3D =>
  tf.tidy(() => {
    const [b, h, w, c] = map.shape
    const x = tf.reshape(map, [b, h * w, c]) as tf.Tensor3D
    return tf.div(tf.matMul(assignment, x, true, false), h * w) as tf.Tensor3D
  })

/** RPP: {@link partAssignment} then {@link poolByAssignment}. @category math */
export const refinedPartPooling = (map: tf.Tensor4D, classifier: tf.Tensor2D): tf.Tensor3D =>
  tf.tidy(() => poolByAssignment(map, partAssignment(map, classifier)))

/**
 * The hard assignment of uniform stripes (`H` divisible by `p`): location `(y, x)` belongs to part `floor(y p / H)`.
 * `[1, H W, p]`; with it {@link poolByAssignment} gives PCB's stripe means divided by `p`.
 * @category math
 */
export const uniformAssignment = (height: number, width: number, parts: number): tf.Tensor3D => {
  const data = new Float32Array(height * width * parts)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[(y * width + x) * parts + Math.floor((y * parts) / height)] = 1
  return tf.tensor3d(data, [1, height * width, parts])
}
