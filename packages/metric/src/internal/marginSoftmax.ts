/**
 * The math the margin softmaxes share (ArcFace, CosFace, SphereFace, and the cosines / cross-entropy NPairs and
 * SoftTriple use): cosines of the embeddings to the class weights W `[D, C]`, the logits with the target cosine
 * modified, and the common tail of each loss (shape and label checks, an empty batch giving a connected 0, the
 * softmax cross-entropy and the accuracy of the cosines) and of each Term (W `[dimension, classes]`, N(0, 1)).
 * A margin softmax is then its target function: `cos - m` (CosFace), `cos(theta + m)` (ArcFace), `psi(theta)`
 * times the embedding norm (SphereFace).
 * @since 0.2.0
 */
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import type { Scope } from "effect"
import * as Distance from "../Distance.ts"
import { type LossValue, oneHot, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import type * as Term from "../Term.ts"
import { checkLabels, classTerm } from "./classTerm.ts"

/** Cosine similarities `[B, C]` of the embeddings to the columns of W `[D, C]`. @category math */
export const cosines = (embeddings: Embeddings, weights: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(
    () =>
      tf.matMul(
        Distance.l2Normalize(embeddings),
        Distance.l2Normalize(tf.transpose(weights) as tf.Tensor2D),
        false,
        true
      ) as tf.Tensor2D
  )

/** Softmax cross-entropy of logits `[B, C]` with integer labels, mean over the batch. @category math */
export const crossEntropy = (logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar =>
  tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot(labels, logits.shape[1])), 1))) as tf.Scalar)

/** Fraction of rows whose largest logit is the label. @internal */
export const accuracy = (logits: tf.Tensor2D, labels: ArrayLike<number>): number => {
  const pred = tf.tidy(() => tf.argMax(logits, 1).dataSync())
  let ok = 0
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++
  return labels.length === 0 ? 0 : ok / labels.length
}

/** The logits with the target cosine replaced by `modify(cos_y)` (a constant mask picks the targets), times `scale`. @category math */
export const marginLogits = (
  cos: tf.Tensor2D,
  labels: ArrayLike<number>,
  scale: number,
  modify: (target: tf.Tensor1D) => tf.Tensor1D
): tf.Tensor2D =>
  tf.tidy(() => {
    const hot = oneHot(labels, cos.shape[1])
    const target = tf.sum(tf.mul(cos, hot), 1) as tf.Tensor1D
    const diff = tf.reshape(tf.sub(modify(target), target), [-1, 1])
    return tf.mul(tf.add(cos, tf.mul(hot, diff)), scale) as tf.Tensor2D
  })

/**
 * The tail of a margin softmax loss for class weights W `[D, C]`: checks the shapes and the labels (named by
 * `name`), then `L = mean_i CE(logits_i, y_i)` with `logits = logitsOf(cos, y)`, and the accuracy of the cosines
 * as its statistic; an empty batch is a 0 connected to the embeddings. @internal
 */
export const marginSoftmaxLoss = (
  name: string,
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  classes: number,
  logitsOf: (cos: tf.Tensor2D, y: Int32Array) => tf.Tensor2D
): LossValue => {
  Tensor.assertShapes(name, [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"],
    [weights, ["dim", null], "weights"]
  ])
  const y = checkLabels(name, labels, classes)
  return tidyLoss(() => {
    if (y.length === 0) return { loss: zeroLoss(embeddings), stats: stats({ accuracy: 0 }) }
    const cos = cosines(embeddings, weights)
    const logits = logitsOf(cos, y)
    return { loss: crossEntropy(logits, y), stats: stats({ accuracy: accuracy(cos, y) }) }
  })
}

/** A margin softmax as a Term owning its class weights W `[dimension, classes]`, initialised N(0, 1). @internal */
export const marginSoftmaxTerm = (
  name: string,
  options: { readonly classes: number; readonly dimension: number; readonly margin: number; readonly scale: number },
  term: { readonly weight?: number | undefined; readonly embedding?: TermOptions["embedding"] | undefined },
  loss: (embeddings: Embeddings, labels: Labels, weights: tf.Tensor2D) => LossValue
): Term.Term<Scope.Scope> =>
  classTerm(
    name,
    { classes: options.classes, dimension: options.dimension, margin: options.margin, scale: options.scale },
    term,
    { rows: options.dimension, cols: options.classes, init: { _tag: "normal" } },
    loss
  )
