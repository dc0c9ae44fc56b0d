/**
 * LSTKC's long-short-term knowledge consolidation (Xu, Zou, Peng & Zhou, AAAI 2024), as the authors' released
 * code runs it (zhoujiahuan1991/AAAI2024-LSTKC `continual_train.py`: `get_adaptive_alpha`, `get_normal_affinity`,
 * `linear_combination`; commit c63a3af). After each task from the second on, the new (short-term) model and the
 * old (long-term) model are fused parameter by parameter with a weight measured on the new task's images:
 *
 *     A(i, j)   = softmax_j(s * cos(f_i, f_j))          over every training image of the task, s = 100 (`Norm=100`)
 *     alpha     = 1 - 1/N sum_i sum_j |A_new(i, j) - A_old(i, j)|
 *     theta     = alpha * theta_new + (1 - alpha) * theta_old
 *
 * Every tensor of the model is fused, BatchNorm running statistics included (the authors fuse the whole
 * `state_dict`); the classifier, which grew by the task's identities, fuses its old-class part and keeps the
 * new classes' weights (the authors' `[:num_class_old]` branch; here the classifier kernel is `[D, K]`, so the old
 * classes are its first columns). The features are the eval-mode `features` (the authors' eval output: the
 * L2-normalised pooled feature before the BNNeck), without augmentation (their `init_loader`). Like the authors'
 * code, alpha is not clipped: it lies in [-1, 1] (each row of `|A_new - A_old|` sums to at most 2).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { Positive, withDefault } from "../ProtocolFields.ts"

/** The consolidation a method runs after each task (`consolidation:` in a protocol's method). @category models */
export const ConsolidationSpec = Schema.Struct({
  kind: Schema.Literal("lstkc"),
  /** s: the affinity's scale (the authors' `get_normal_affinity(x, Norm=100)`, `softmax(cos * 100)`). */
  scale: withDefault(Positive, 100)
})
export type ConsolidationSpec = typeof ConsolidationSpec.Type

/**
 * alpha = 1 - mean_i sum_j |A_new(i, j) - A_old(i, j)| for the two models' features of the same images. The
 * rows are computed `rowsPerBlock` at a time, so memory grows with N x block, not N x N (a real training set
 * has tens of thousands of images).
 * @category math
 */
export const fusionWeight = (
  newFeatures: tf.Tensor2D,
  oldFeatures: tf.Tensor2D,
  scale: number,
  rowsPerBlock = 256
): number => {
  const n = newFeatures.shape[0]
  if (n !== oldFeatures.shape[0] || n === 0) {
    throw new Error(
      `lstkc: the two models' features must cover the same non-empty set of images (${n} vs ${oldFeatures.shape[0]} rows)`
    )
  }
  const unit = (f: tf.Tensor2D) => tf.div(f, tf.maximum(tf.norm(f, 2, 1, true), 1e-12)) as tf.Tensor2D
  const [un, uo] = tf.tidy(() => [unit(newFeatures), unit(oldFeatures)])
  try {
    let total = 0
    for (let start = 0; start < n; start += rowsPerBlock) {
      const size = Math.min(rowsPerBlock, n - start)
      total += tf.tidy(() => {
        const rows = (u: tf.Tensor2D) =>
          tf.softmax(tf.mul(tf.matMul(tf.slice(u, [start, 0], [size, -1]), u, false, true), scale))
        return tf.sum(tf.abs(tf.sub(rows(un!), rows(uo!)))).dataSync()[0] ?? 0
      })
    }
    return 1 - total / n
  } finally {
    tf.dispose([un!, uo!])
  }
}

/**
 * `alpha * new + (1 - alpha) * old` for every tensor of `newWeights` that `oldWeights` also has. A tensor that
 * grew along one axis (the classifier's classes) fuses its leading `old` part along that axis and keeps the rest
 * of the new tensor. Tensors the old model lacks are left out (they keep their new values). The result's tensors
 * are new; the caller disposes them.
 * @category math
 */
export const fuseWeights = (
  newWeights: ReadonlyMap<string, tf.Tensor>,
  oldWeights: ReadonlyMap<string, tf.Tensor>,
  alpha: number
): Map<string, tf.Tensor> => {
  const out = new Map<string, tf.Tensor>()
  try {
    for (const [name, current] of newWeights) {
      const old = oldWeights.get(name)
      if (old === undefined) continue
      const grown = current.shape.flatMap((d, axis) => (d === old.shape[axis] ? [] : [axis]))
      if (
        old.rank !== current.rank ||
        grown.length > 1 ||
        (grown.length === 1 && old.shape[grown[0]!]! > current.shape[grown[0]!]!)
      ) {
        throw new Error(
          `lstkc: ${name} has shape [${current.shape.join(", ")}] but the old model's is [${old.shape.join(", ")}]; only one axis may have grown`
        )
      }
      out.set(
        name,
        tf.tidy(() => {
          if (grown.length === 0) return tf.add(tf.mul(current, alpha), tf.mul(old, 1 - alpha))
          const axis = grown[0]!
          const head = tf.slice(
            current,
            current.shape.map(() => 0),
            old.shape
          )
          const fused = tf.add(tf.mul(head, alpha), tf.mul(old, 1 - alpha))
          const begin = current.shape.map((_, a) => (a === axis ? old.shape[a]! : 0))
          const size = current.shape.map((d, a) => (a === axis ? d - old.shape[a]! : d))
          return tf.concat([fused, tf.slice(current, begin, size)], axis)
        })
      )
    }
    return out
  } catch (e) {
    for (const t of out.values()) t.dispose()
    throw e
  }
}
