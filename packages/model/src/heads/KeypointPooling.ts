/**
 * Keypoint-guided part pooling (pose-guided ReID in the spirit of the pose-guided methods the seed cites, e.g.
 * Zheng et al., "Pose-Invariant Embedding for Deep Person Re-identification", and Su et al., "Pose-driven Deep
 * Convolutional Model for Person Re-identification", ICCV 2017, which pool or align body-part regions located by a
 * pose estimator): instead of fixed horizontal stripes, each body part is pooled from the feature-map cells inside
 * the box around its keypoints,
 *
 *     box_p = bbox{ k_j : j in part p, v_j > 0 } expanded by `margin` (a fraction of the image height)
 *     f_p   = mean_{cells (r, c) whose centre lies in box_p} F[r, c, :]        (zeros when no keypoint is labelled)
 *
 * for the six parts head, torso, left / right arm, left / right leg (COCO-17 keypoints, `[x, y, v]` in image
 * pixels, as `CocoKeypoints` reads and the synthetic world's `SyntheticAnnotations.keypoints` draws). The pooling
 * is a batched product with constant masks (differentiable in the feature map). Returns the parts `[B, 6, C]` and
 * their visibility `[B, 6]` (1 when pooled), for a part-aligned distance or part classifiers.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** The parts and their COCO-17 keypoint indices. @category models @since 0.1.0 */
export const bodyParts: ReadonlyArray<{ readonly name: string; readonly keypoints: ReadonlyArray<number> }> = [
  { name: "head", keypoints: [0, 1, 2, 3, 4] },
  { name: "torso", keypoints: [5, 6, 11, 12] },
  { name: "leftArm", keypoints: [5, 7, 9] },
  { name: "rightArm", keypoints: [6, 8, 10] },
  { name: "leftLeg", keypoints: [11, 13, 15] },
  { name: "rightLeg", keypoints: [12, 14, 16] }
]

/** Options of {@link keypointPartPooling}. @since 0.1.0 */
export interface KeypointPoolingOptions {
  /** The input image's size in pixels (keypoints are in its coordinates). */
  readonly imageHeight: number
  readonly imageWidth: number
  /** Box margin as a fraction of the image height (default 0.05). */
  readonly margin?: number
}

/**
 * The `[B, P, h w]` row-normalised masks of the parts' boxes on an `h x w` feature map, and the visibility `[B, P]`.
 * `keypoints`: per image, 51 numbers (17 x `[x, y, v]`).
 * @category math
 * @since 0.1.0
 */
export const partMasks = (
  keypoints: ReadonlyArray<ArrayLike<number>>,
  h: number,
  w: number,
  options: KeypointPoolingOptions
): { readonly masks: Float32Array; readonly visible: Float32Array } => {
  const P = bodyParts.length
  const margin = (options.margin ?? 0.05) * options.imageHeight
  const masks = new Float32Array(keypoints.length * P * h * w)
  const visible = new Float32Array(keypoints.length * P)
  keypoints.forEach((kp, b) => {
    bodyParts.forEach((part, p) => {
      const labelled = part.keypoints.filter((j) => kp[3 * j + 2]! > 0)
      if (labelled.length === 0) return
      const xs = labelled.map((j) => kp[3 * j]!)
      const ys = labelled.map((j) => kp[3 * j + 1]!)
      const [x0, x1, y0, y1] = [
        Math.min(...xs) - margin,
        Math.max(...xs) + margin,
        Math.min(...ys) - margin,
        Math.max(...ys) + margin
      ]
      const cells: Array<number> = []
      for (let r = 0; r < h; r++) {
        const cy = ((r + 0.5) * options.imageHeight) / h
        if (cy < y0 || cy > y1) continue
        for (let c = 0; c < w; c++) {
          const cx = ((c + 0.5) * options.imageWidth) / w
          if (cx >= x0 && cx <= x1) cells.push(r * w + c)
        }
      }
      if (cells.length === 0) return
      const base = (b * P + p) * h * w
      for (const k of cells) masks[base + k] = 1 / cells.length
      visible[b * P + p] = 1
    })
  })
  return { masks, visible }
}

/** Pools `[B, h, w, C]` into the six keypoint-guided parts (see the module doc). @category math @since 0.1.0 */
export const keypointPartPooling = (
  map: tf.Tensor4D,
  keypoints: ReadonlyArray<ArrayLike<number>>,
  options: KeypointPoolingOptions
): { readonly parts: tf.Tensor3D; readonly visible: tf.Tensor2D } => {
  const [b, h, w, c] = map.shape
  if (keypoints.length !== b)
    throw new Error(`keypointPartPooling: ${keypoints.length} keypoint sets for a batch of ${b}`)
  const { masks, visible } = partMasks(keypoints, h, w, options)
  return tf.tidy(() => ({
    parts: tf.matMul(tf.tensor3d(masks, [b, bodyParts.length, h * w]), tf.reshape(map, [b, h * w, c])) as tf.Tensor3D,
    visible: tf.tensor2d(visible, [b, bodyParts.length])
  }))
}
