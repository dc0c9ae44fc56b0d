/**
 * SoftTriple loss (Qian, Shang, Sun, Hu, Li & Jin, ICCV 2019, "SoftTriple Loss: Deep Metric Learning Without
 * Triplet Sampling"), as PML 2.8.1 computes it (`losses/soft_triple_loss.py`, from the authors' idstcv/SoftTriple):
 * K centers per class, W `[D, C*K]` (a trainable parameter of the term), s_ick the cosine similarity of x_i
 * and center k of class c,
 *
 *     S_ic = sum_k softmax_k(s_ick / gamma) s_ick,      L = mean_i CE(lambda (S_i - delta e_{y_i}), y_i)
 *
 * Defaults K = 10, lambda (PML `la`) 20, gamma 0.1, delta (margin) 0.01 (the paper's and PML's); W initialised
 * U(-1/sqrt(C K), 1/sqrt(C K)) (PML's `kaiming_uniform_(a=sqrt(5))`). The paper's regulariser merging similar
 * centers (tau) is not part of PML's loss and is not here either.
 * @since 0.2.0
 */
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema, type Scope } from "effect"
import { checkLabels, classTerm } from "../internal/classTerm.ts"
import { decoder, nonNegative, numberWithDefault, positive } from "../internal/options.ts"
import { type LossValue, oneHot, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import type * as Term from "../Term.ts"
import { accuracy, cosines, crossEntropy } from "./ArcFace.ts"
import * as LossEntry from "../LossEntry.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (PML defaults). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  centersPerClass: numberWithDefault(10, Schema.isInt()).check(Schema.isGreaterThan(0)),
  lambda: positive(20),
  gamma: positive(0.1),
  margin: nonNegative(0.01)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `softTriple` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "softTriple")

/** The relaxed class similarities S `[B, C]` for centers W `[D, C*K]`. @category math */
export const classSimilarities = (
  embeddings: Embeddings,
  weights: tf.Tensor2D,
  classes: number,
  gamma: number
): tf.Tensor2D =>
  tf.tidy(() => {
    const k = weights.shape[1] / classes
    const s = tf.reshape(cosines(embeddings, weights), [-1, classes, k])
    return tf.sum(tf.mul(tf.softmax(tf.div(s, gamma)), s), 2) as tf.Tensor2D
  })

/** SoftTriple for given centers W `[D, C*K]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  options: Pick<OptionsInput, "classes" | "lambda" | "gamma" | "margin">
): LossValue => {
  const o = decode({ dimension: weights.shape[0], ...options, centersPerClass: weights.shape[1] / options.classes })
  Tensor.assertShapes("softTriple", [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"],
    [weights, ["dim", null], "weights"]
  ])
  const y = checkLabels("softTriple", labels, o.classes)
  return tidyLoss(() => {
    if (y.length === 0) return { loss: zeroLoss(embeddings), stats: stats({ accuracy: 0 }) }
    const sim = classSimilarities(embeddings, weights, o.classes, o.gamma)
    const logits = tf.mul(tf.sub(sim, tf.mul(oneHot(y, o.classes), o.margin)), o.lambda) as tf.Tensor2D
    return { loss: crossEntropy(logits, y), stats: stats({ accuracy: accuracy(sim, y) }) }
  })
}

/** SoftTriple as a Term owning its centers W `[dimension, classes * centersPerClass]`. @category constructors */
export const softTriple = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return classTerm(
    "softTriple",
    {
      classes: o.classes,
      dimension: o.dimension,
      centersPerClass: o.centersPerClass,
      lambda: o.lambda,
      gamma: o.gamma,
      margin: o.margin
    },
    { weight, embedding },
    { rows: o.dimension, cols: o.classes * o.centersPerClass, init: { _tag: "kaimingUniform" } },
    (e, l, w) => loss(e, l, w, o)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "softTriple",
  description: "SoftTriple (Qian et al. 2019)",
  options: Options,
  classParameters: true,
  make: softTriple
})
