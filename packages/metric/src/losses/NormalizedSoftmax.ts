/**
 * Normalised softmax (Zhai & Wu, BMVC 2019, "Classification is a Strong Baseline for Deep Metric Learning";
 * the NormFace of Wang et al. 2017), as PML 2.8.1 computes it (`losses/normalized_softmax_loss.py`): with class
 * weights W `[D, C]` (a trainable parameter of the term), each column L2-normalised, and the embeddings
 * normalised (PML's default `DotProductSimilarity` normalises them),
 *
 *     logit_ic = x̂_i · ŵ_c / T,      L = mean_i CE(logit_i, y_i)
 *
 * Default temperature T = 0.05 (PML's; Zhai & Wu use 0.05); W initialised N(0, 1).
 * @since 0.2.0
 */
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema, type Scope } from "effect"
import { checkLabels, classTerm } from "../internal/classTerm.ts"
import { decoder, positive } from "../internal/options.ts"
import { type LossValue, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import type * as Term from "../Term.ts"
import { accuracy, cosines, crossEntropy } from "./ArcFace.ts"
import * as LossEntry from "../LossEntry.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (PML default: temperature 0.05). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  temperature: positive(0.05)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `normalizedSoftmax` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "normalizedSoftmax")

/** The normalised softmax for given class weights W `[D, C]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  options: Pick<OptionsInput, "temperature"> = {}
): LossValue => {
  const o = decode({ classes: weights.shape[1], dimension: weights.shape[0], ...options })
  Tensor.assertShapes("normalizedSoftmax", [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"],
    [weights, ["dim", null], "weights"]
  ])
  const y = checkLabels("normalizedSoftmax", labels, o.classes)
  return tidyLoss(() => {
    if (y.length === 0) return { loss: zeroLoss(embeddings), stats: stats({ accuracy: 0 }) }
    const logits = tf.div(cosines(embeddings, weights), o.temperature) as tf.Tensor2D
    return { loss: crossEntropy(logits, y), stats: stats({ accuracy: accuracy(logits, y) }) }
  })
}

/** The normalised softmax as a Term owning its class weights W `[dimension, classes]`. @category constructors */
export const normalizedSoftmax = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return classTerm(
    "normalizedSoftmax",
    { classes: o.classes, dimension: o.dimension, temperature: o.temperature },
    { weight, embedding },
    {
      rows: o.dimension,
      cols: o.classes,
      init: { _tag: "normal" }
    },
    (e, l, w) => loss(e, l, w, o)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "normalizedSoftmax",
  description: "normalized softmax (Zhai and Wu 2019)",
  options: Options,
  classParameters: true,
  make: normalizedSoftmax
})
