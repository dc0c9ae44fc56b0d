/**
 * ArcFace, the additive angular margin loss (Deng, Guo, Xue & Zafeiriou, CVPR 2019, "ArcFace: Additive
 * Angular Margin Loss for Deep Face Recognition"), as PML 2.8.1 computes it (`losses/arcface_loss.py`): with
 * class weights W `[D, C]` (a trainable parameter of the term), cos_ic = x̂_i · ŵ_c and theta_i the angle to the
 * own class,
 *
 *     logit_ic = s * cos_ic  (c != y_i),   logit_iy = s * ( cos(theta_i + m) if theta_i <= pi - m  else  cos(theta_i) - m sin(m) )
 *     L = mean_i CE(logit_i, y_i)
 *
 * Defaults m = 28.6 degrees (0.5 rad, PML takes degrees) and s = 64; W initialised N(0, 1) (PML's `normal_`).
 * theta = acos(cos) with cos clamped to [-1 + 1e-6, 1 - 1e-6] (PML clamps to [-1, 1], where acos has an infinite
 * derivative). `ArcFace.loss` is the math for given W; `arcFace(options)` the Term owning W.
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

/** Options (PML defaults: margin 28.6 degrees, scale 64). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  /** The additive angular margin, in degrees. */
  margin: numberWithDefault(28.6, Schema.isBetween({ minimum: 0, maximum: 180 })),
  scale: positive(64)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `arcFace` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "arcFace")

// the margin softmaxes' shared math (moved to `internal/marginSoftmax.ts`; still exported here, as before)
export { accuracy, cosines, crossEntropy, marginLogits } from "../internal/marginSoftmax.ts"

/** The ArcFace target logit `cos(theta + m)`, or `cos(theta) - m sin(m)` beyond `pi - m` (m in radians). @category math */
export const arcMargin = (target: tf.Tensor1D, m: number): tf.Tensor1D =>
  tf.tidy(() => {
    const theta = tf.acos(tf.clipByValue(target, -1 + 1e-6, 1 - 1e-6))
    const values = theta.dataSync()
    const inside = tf.tensor1d(Float32Array.from(values, (t) => (t <= Math.PI - m ? 1 : 0)))
    const plus = tf.cos(tf.add(theta, m))
    const beyond = tf.sub(tf.cos(theta), m * Math.sin(m))
    return tf.add(tf.mul(inside, plus), tf.mul(tf.sub(1, inside), beyond)) as tf.Tensor1D
  })

/** ArcFace for given class weights W `[D, C]` (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  options: Pick<OptionsInput, "margin" | "scale"> = {}
): LossValue => {
  const o = decode({ classes: weights.shape[1], dimension: weights.shape[0], ...options })
  return marginSoftmaxLoss("arcFace", embeddings, labels, weights, o.classes, (cos, y) =>
    marginLogits(cos, y, o.scale, (t) => arcMargin(t, (o.margin * Math.PI) / 180))
  )
}

/** ArcFace as a Term owning its class weights W `[dimension, classes]`. @category constructors */
export const arcFace = (options: OptionsInput & Pick<TermOptions, "weight" | "embedding">): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return marginSoftmaxTerm("arcFace", o, { weight, embedding }, (e, l, w) => loss(e, l, w, o))
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "arcFace",
  description: "additive angular margin (Deng et al. 2019)",
  options: Options,
  classParameters: true,
  make: arcFace
})
