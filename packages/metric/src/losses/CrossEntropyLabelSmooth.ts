/**
 * Softmax cross-entropy with label smoothing, the identity loss of ReID baselines (Szegedy et al. 2016,
 * "Rethinking the Inception Architecture"; used for ReID by Luo et al. 2019, "Bag of Tricks").
 *
 *     L = -1/B sum_i sum_k q_ik log softmax(z_i)_k
 *     uniform (default):  q_ik = (1 - eps) [k = y_i] + eps / K
 *     offTarget "others": q_ik = (1 - eps) [k = y_i] + eps / (K - 1) [k != y_i]
 *
 * `epsilon = 0` is plain cross-entropy. Labels must lie in `[0, K)`.
 * @since 0.1.0
 */
import { InvalidOption, type Labels, type Logits, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { MissingOutput } from "../errors.ts"
import { decoder, literalWithDefault, numberWithDefault } from "../internal/options.ts"
import { type LossValue, oneHot, tidyLoss, zeroLoss, stats, type TermOptions } from "../Loss.ts"
import * as Term from "../Term.ts"

/** Options (defaults: epsilon 0.1, uniform, as Szegedy et al. and Luo et al.). */
export const Options = Schema.Struct({
  /** The smoothing epsilon, in [0, 1). */
  epsilon: numberWithDefault(0.1, Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMaximum: true })),
  /** Spread eps over all K classes (`uniform`) or over the K - 1 other classes (`others`). */
  offTarget: literalWithDefault(["uniform", "others"], "uniform")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `crossEntropyLabelSmooth` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "crossEntropyLabelSmooth")

/** The smoothed target distribution `q` (`[B, K]`, rows sum to 1). @category math */
export const targets = (labels: Labels, classes: number, options: Options): tf.Tensor2D =>
  tf.tidy(() => {
    const eps = options.epsilon
    const hot = oneHot(labels.dataSync(), classes)
    if (options.offTarget === "uniform") return tf.add(tf.mul(hot, 1 - eps), eps / classes) as tf.Tensor2D
    return tf.add(tf.mul(hot, 1 - eps), tf.mul(tf.sub(1, hot), eps / (classes - 1))) as tf.Tensor2D
  })

/** The loss over a batch of logits (see the module doc). @category math */
export const loss = (logits: Logits, labels: Labels, options: OptionsInput = {}): LossValue => {
  const o = decode(options)
  Tensor.assertShapes("crossEntropyLabelSmooth", [
    [logits, ["batch", "classes"], "logits"],
    [labels, ["batch"], "labels"]
  ])
  const classes = logits.shape[1]
  if (o.offTarget === "others" && classes < 2) {
    throw new InvalidOption({ what: "crossEntropyLabelSmooth", detail: 'offTarget "others" needs at least 2 classes' })
  }
  const values = labels.dataSync()
  for (let i = 0; i < values.length; i++) {
    const y = values[i]!
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) {
      throw new InvalidOption({
        what: "crossEntropyLabelSmooth: labels",
        detail: `label ${y} at index ${i} is outside [0, ${classes}); the classifier has ${classes} classes`
      })
    }
  }
  return tidyLoss(() => {
    if (logits.shape[0] === 0) return { loss: zeroLoss(logits), stats: stats({ accuracy: 0 }) }
    const logp = tf.logSoftmax(logits)
    const q = targets(labels, classes, o)
    const per = tf.neg(tf.sum(tf.mul(q, logp), 1))
    const predicted = tf.argMax(logits, 1).dataSync()
    let correct = 0
    for (let i = 0; i < values.length; i++) if (predicted[i] === values[i]) correct++
    return { loss: tf.mean(per) as tf.Scalar, stats: stats({ accuracy: correct / values.length }) }
  })
}

/** The identity loss as a Term (reads `step.outputs.logits`). @category constructors */
export const crossEntropyLabelSmooth = (options: OptionsInput & Pick<TermOptions, "weight"> = {}): Term.Term<never> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "crossEntropyLabelSmooth",
    { epsilon: o.epsilon, offTarget: o.offTarget === "uniform" ? undefined : o.offTarget },
    (step) => {
      const logits = step.outputs.logits
      if (logits === undefined) {
        throw new MissingOutput({
          term: "crossEntropyLabelSmooth",
          field: "outputs.logits",
          hint: "use a model with a classifier head"
        })
      }
      return loss(logits, step.labels, o)
    },
    weight ?? 1
  )
}
