/**
 * Attribute loss: binary cross-entropy over A independent attributes, averaged over attributes as in APR (Lin et
 * al., "Improving Person Re-identification by Attribute and Identity Learning", Pattern Recognition 2019:
 * `L = lambda L_ID + 1/A sum_j L_att_j`, lambda = 8 there: weight the identity term), optionally weighted by
 * the attributes' positive ratios as in DeepMAR (Li, Chen & Huang, "Multi-attribute Learning for Pedestrian
 * Attribute Recognition in Surveillance Scenarios", ACPR 2015), so that rare attributes are not ignored:
 *
 *     L = -1/(B A) sum_{i, j} w_ij [ a_ij log sigma(z_ij) + (1 - a_ij) log(1 - sigma(z_ij)) ]
 *     none (default): w_ij = 1
 *     "deepmar":      w_ij = exp((1 - p_j) / sigma^2) if a_ij = 1, exp(p_j / sigma^2) if a_ij = 0   (sigma = 1)
 *
 * `p_j` is attribute j's positive ratio in the training set (`positiveRatios`; default: the batch's). Labels
 * `a_ij` in {0, 1}; a label < 0 means "unknown" and is left out (w = 0).
 * @since 0.1.0
 */
import { InvalidOption, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { MissingOutput } from "../errors.ts"
import { decoder, literalWithDefault, positive } from "../internal/options.ts"
import { type LossValue, stats, tidyLoss, type TermOptions } from "../Loss.ts"
import type { Step } from "../Step.ts"
import * as Term from "../Term.ts"

/** Options (defaults: unweighted, as APR). @since 0.1.0 */
export const Options = Schema.Struct({
  /** `none` (APR) or `deepmar` (weights by the positive ratios). */
  weighting: literalWithDefault(["none", "deepmar"], "none"),
  /** DeepMAR's sigma (default 1). */
  sigma: positive(1),
  /** Positive ratio of each attribute in the training set (DeepMAR's p_j); default: the batch's. */
  positiveRatios: Schema.optionalKey(Schema.Array(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))))
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `attributeBce` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "attributeBce")

/** The per-entry weights `w_ij` (`[B, A]`, a constant) of the labels `[B, A]`. @category math @since 0.1.0 */
export const weights = (labels: tf.Tensor2D, o: Options): tf.Tensor2D =>
  tf.tidy(() => {
    const known = tf.cast(tf.greaterEqual(labels, 0), "float32")
    if (o.weighting === "none") return known as tf.Tensor2D
    const a = tf.mul(tf.cast(tf.greater(labels, 0), "float32"), known)
    const p =
      o.positiveRatios === undefined
        ? tf.div(tf.sum(a, 0), tf.maximum(tf.sum(known, 0), 1))
        : tf.tensor1d(o.positiveRatios as Array<number>)
    if (p.shape[0] !== labels.shape[1]) {
      throw new InvalidOption({
        what: "attributeBce options",
        detail: `positiveRatios has ${p.shape[0]} entries for ${labels.shape[1]} attributes`
      })
    }
    const s2 = o.sigma * o.sigma
    const wPos = tf.exp(tf.div(tf.sub(1, p), s2))
    const wNeg = tf.exp(tf.div(p, s2))
    return tf.mul(known, tf.add(tf.mul(a, wPos), tf.mul(tf.sub(1, a), wNeg))) as tf.Tensor2D
  })

/**
 * The loss from attribute logits `[B, A]` and labels `[B, A]` (1, 0, or < 0 for unknown). `stats.accuracy`: the
 * fraction of known labels predicted right (logit > 0 for 1).
 * @category math
 * @since 0.1.0
 */
export const loss = (logits: tf.Tensor2D, labels: tf.Tensor2D, options: OptionsInput = {}): LossValue => {
  const o = decode(options)
  Tensor.assertShapes("attributeBce", [
    [logits, ["batch", "attributes"], "attribute logits"],
    [labels, ["batch", "attributes"], "attribute labels"]
  ])
  return tidyLoss(() => {
    const y = tf.cast(tf.greater(labels, 0), "float32")
    const w = weights(labels, o)
    // -[a log s(z) + (1 - a) log(1 - s(z))] = softplus(z) - a z, stable for large |z|
    const per = tf.sub(tf.softplus(logits), tf.mul(y, logits))
    const loss = tf.div(tf.sum(tf.mul(w, per)), logits.size) as tf.Scalar
    const known = tf.cast(tf.greaterEqual(labels, 0), "float32")
    const right = tf.mul(known, tf.cast(tf.equal(tf.cast(tf.greater(logits, 0), "float32"), y), "float32"))
    const accuracy = tf.sum(right).dataSync()[0]! / Math.max(1, tf.sum(known).dataSync()[0]!)
    return { loss, stats: stats({ accuracy }) }
  })
}

/** The attribute labels of a step (`Step.attributes`), or a {@link MissingOutput}. @category math @since 0.1.0 */
export const attributesOf = (step: Step): tf.Tensor2D => {
  if (step.attributes === undefined)
    throw new MissingOutput({
      term: "attributeBce",
      field: "attributes",
      hint: "the batch needs attribute labels (a dataset with attributes)"
    })
  return step.attributes
}

/** The attribute loss as a Term (reads `step.outputs.attributeLogits` and `step.attributes`). @category constructors @since 0.1.0 */
export const attributeBce = (options: OptionsInput & Pick<TermOptions, "weight"> = {}): Term.Term<never> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "attributeBce",
    { weighting: o.weighting === "none" ? undefined : o.weighting },
    (step) => {
      const z = step.outputs.attributeLogits
      if (z === undefined)
        throw new MissingOutput({
          term: "attributeBce",
          field: "outputs.attributeLogits",
          hint: "use a model with head.attributes"
        })
      return loss(z, attributesOf(step), o)
    },
    weight ?? 1
  )
}
