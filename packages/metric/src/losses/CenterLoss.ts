/**
 * Center loss (Wen, Zhang, Li & Qiao, ECCV 2016, "A Discriminative Feature Learning Approach for Deep Face
 * Recognition"): pulls each feature toward the center of its class,
 *
 *     L_C = 1/(2B) sum_i |x_i - c_{y_i}|^2          (reduction "mean", as the official Caffe layer divides by B)
 *     L_C = 1/2    sum_i |x_i - c_{y_i}|^2          (reduction "sum", the paper's Eq. 2)
 *
 * with the centers updated by the paper's rule (Algorithm 1), not by the optimizer:
 *
 *     delta c_j = sum_i [y_i = j] (c_j - x_i) / (1 + sum_i [y_i = j]),     c_j <- c_j - alpha * delta c_j
 *
 * **How the update happens here.** The centers are a non-trainable `tf.Variable` `[classes, dimension]`, zeros at
 * the start, owned by the Scope in which the Term is built (the Objective layer's scope): they are disposed
 * with it. The gradient of L_C flows to the features only (the centers are constants on the tape). Each call
 * of the term's function computes the loss with the current centers and then applies the alpha update from the
 * batch's feature values, once per `step.index` (a second call with the same step index does not update again).
 * The weight lambda of the paper is the Term's weight (Wen et al. use 0.003; Luo et al. 2019 use 0.0005).
 * @since 0.1.0
 */
import { type Embeddings, InvalidOption, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema, type Scope } from "effect"
import { decoder, literalWithDefault, numberWithDefault } from "../internal/options.ts"
import { embeddingsOf, type LossValue, oneHot, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import * as Term from "../Term.ts"
import type { TermFn } from "../Term.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (alpha = 0.5, Wen et al.'s default center learning rate). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  /** The center learning rate alpha, in [0, 1]. */
  alpha: numberWithDefault(0.5, Schema.isBetween({ minimum: 0, maximum: 1 })),
  reduction: literalWithDefault(["mean", "sum"], "mean")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `centerLoss` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "centerLoss")

const checkInputs = (features: Embeddings, labels: Labels, centers: tf.Tensor2D) => {
  Tensor.assertShapes("centerLoss", [
    [features, ["batch", "dimension"], "features"],
    [labels, ["batch"], "labels"],
    [centers, [null, "dimension"], "centers"]
  ])
  const classes = centers.shape[0]
  const values = labels.dataSync()
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!
    if (!(y >= 0 && y < classes))
      throw new InvalidOption({
        what: "centerLoss: labels",
        detail: `label ${y} at index ${i} is outside [0, ${classes}); set classes to the number of identities`
      })
  }
  return values
}

/** The center loss for given centers `[K, D]` (constants for the gradient). @category math */
export const loss = (
  features: Embeddings,
  labels: Labels,
  centers: tf.Tensor2D,
  options: { readonly reduction?: "mean" | "sum" } = {}
): LossValue => {
  const values = checkInputs(features, labels, centers)
  return tidyLoss(() => {
    const b = features.shape[0]
    if (b === 0) return { loss: zeroLoss(features), stats: stats({ items: 0 }) }
    const own = tf.matMul(oneHot(values, centers.shape[0]), centers) // c_{y_i}
    const total = tf.mul(tf.sum(tf.square(tf.sub(features, own))), 0.5)
    return { loss: (options.reduction === "sum" ? total : tf.div(total, b)) as tf.Scalar, stats: stats({ items: b }) }
  })
}

/** The centers after one alpha update from a batch (Wen et al., Algorithm 1); features are read as constants. @category math */
export const update = (features: Embeddings, labels: Labels, centers: tf.Tensor2D, alpha: number): tf.Tensor2D => {
  const values = checkInputs(features, labels, centers)
  return tf.tidy(() => {
    const x = tf.tensor2d(features.dataSync() as Float32Array, features.shape) // detached copy
    const h = oneHot(values, centers.shape[0]) // [B, K]
    const counts = tf.reshape(tf.sum(h, 0), [-1, 1]) // [K, 1]
    const sums = tf.matMul(h, x, true, false) // [K, D]
    const delta = tf.div(tf.sub(tf.mul(counts, centers), sums), tf.add(counts, 1))
    return tf.sub(centers, tf.mul(delta, alpha)) as tf.Tensor2D
  })
}

/** The state of a center-loss term: its centers and its per-step function. */
export interface State {
  readonly centers: tf.Variable<tf.Rank.R2>
  readonly fn: TermFn
}

/** Creates the centers (a scoped, non-trainable variable) and the term function that updates them. @category constructors */
export const makeState = (
  options: OptionsInput & Pick<TermOptions, "embedding">
): Effect.Effect<State, never, Scope.Scope> => {
  const { embedding, ...rest } = options
  const o = decode(rest)
  return Effect.map(
    Effect.acquireRelease(
      Effect.sync(() =>
        tf.tidy(() => tf.variable(tf.zeros([o.classes, o.dimension]), false) as tf.Variable<tf.Rank.R2>)
      ),
      (v) => Effect.sync(() => v.dispose())
    ),
    (v) => {
      let lastIndex: number | undefined
      const fn: TermFn = (step) => {
        const features = embeddingsOf("centerLoss", step, embedding)
        const value = loss(features, step.labels, v, o)
        if (step.index !== lastIndex) {
          lastIndex = step.index
          const next = update(features, step.labels, v, o.alpha)
          v.assign(next)
          next.dispose()
        }
        return value
      }
      return { centers: v, fn }
    }
  )
}

/**
 * Center loss as a Term. It needs a `Scope` (its centers live in it); `Objective.layer` provides one, so the
 * Objective layer's requirements do not grow.
 * @category constructors
 */
export const centerLoss = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return Term.fromEffect(
    "centerLoss",
    {
      alpha: o.alpha,
      classes: o.classes,
      dimension: o.dimension,
      reduction: o.reduction === "mean" ? undefined : o.reduction
    },
    Effect.map(makeState({ ...o, ...(embedding === undefined ? {} : { embedding }) }), (s) => s.fn),
    weight ?? 1
  )
}
