/**
 * CosFace, the large margin cosine loss (Wang, Wang, Zhou, Ji, Gong, Zhou, Li & Liu, CVPR 2018, "CosFace:
 * Large Margin Cosine Loss for Deep Face Recognition"), as PML 2.8.1 computes it (`losses/cosface_loss.py`):
 * with class weights W `[D, C]` (a trainable parameter of the term) and cos_ic = x̂_i · ŵ_c,
 *
 *     logit_ic = s * (cos_ic - m [c = y_i]),      L = mean_i CE(logit_i, y_i)
 *
 * Defaults m = 0.35, s = 64 (PML's); W initialised N(0, 1).
 * @since 0.2.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema, type Scope } from "effect"
import { marginLogits, marginSoftmaxLoss, marginSoftmaxTerm } from "../internal/marginSoftmax.ts"
import { decoder, numberWithDefault, positive } from "../internal/options.ts"
import type { LossValue, TermOptions } from "../Loss.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (PML defaults: margin 0.35, scale 64). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  margin: numberWithDefault(0.35),
  scale: positive(64)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `cosFace` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "cosFace")

/** CosFace for given class weights W `[D, C]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  options: Pick<OptionsInput, "margin" | "scale"> = {}
): LossValue => {
  const o = decode({ classes: weights.shape[1], dimension: weights.shape[0], ...options })
  return marginSoftmaxLoss("cosFace", embeddings, labels, weights, o.classes, (cos, y) =>
    marginLogits(cos, y, o.scale, (t) => tf.sub(t, o.margin) as tf.Tensor1D)
  )
}

/** CosFace as a Term owning its class weights W `[dimension, classes]`. @category constructors */
export const cosFace = (options: OptionsInput & Pick<TermOptions, "weight" | "embedding">): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return marginSoftmaxTerm("cosFace", o, { weight, embedding }, (e, l, w) => loss(e, l, w, o))
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "cosFace",
  description: "large margin cosine loss (Wang et al. 2018)",
  options: Options,
  classParameters: true,
  make: cosFace
})
