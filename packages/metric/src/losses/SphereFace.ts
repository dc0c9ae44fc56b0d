/**
 * SphereFace, the multiplicative angular margin (Liu, Wen, Yu, Li, Raj & Song, CVPR 2017, "SphereFace: Deep
 * Hypersphere Embedding for Face Recognition"; the large-margin softmax of Liu et al. ICML 2016), as PML 2.8.1
 * computes it (`losses/sphereface_loss.py` over `losses/large_margin_softmax_loss.py`): with class weights W
 * `[D, C]` (a trainable parameter of the term), cos_ic = x̂_i · ŵ_c, theta_i the angle to the own class and an
 * integer margin m,
 *
 *     psi(theta) = (-1)^k cos(m theta) - 2k,    k = floor(theta m / pi)        (k is a constant for the gradient)
 *     cos(m theta) = sum_{n=0}^{floor(m/2)} (-1)^n C(m, 2n) cos^{m-2n}(theta) (1 - cos^2(theta))^n
 *     logit_ic = s |x_i| cos_ic  (c != y_i),    logit_iy = s |x_i| psi(theta_i),     L = mean_i CE(logit_i, y_i)
 *
 * Defaults m = 4, s = 1 (PML's); W initialised N(0, 1). The paper's annealing of the margin (lambda) is not part
 * of PML's loss and is not here either.
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

/** Options (PML defaults: margin 4, scale 1). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  /** The integer multiplicative margin m. */
  margin: numberWithDefault(4, Schema.isInt()).check(Schema.isGreaterThanOrEqualTo(1)),
  scale: positive(1)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `sphereFace` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "sphereFace")

const binomial = (n: number, k: number): number => {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

/** `psi(theta)` of target cosines (see the module doc); m >= 1. @category math */
export const psi = (target: tf.Tensor1D, m: number): tf.Tensor1D =>
  tf.tidy(() => {
    const c = target
    const sin2 = tf.sub(1, tf.square(c))
    let cosM: tf.Tensor = tf.zerosLike(c)
    for (let n = 0; n <= Math.floor(m / 2); n++) {
      const term = tf.mul(tf.mul(tf.pow(c, m - 2 * n), tf.pow(sin2, n)), (n % 2 === 0 ? 1 : -1) * binomial(m, 2 * n))
      cosM = tf.add(cosM, term)
    }
    const k = Float32Array.from(c.dataSync(), (v) =>
      Math.floor(Math.acos(Math.min(1, Math.max(-1, v))) / (Math.PI / m))
    )
    const sign = tf.tensor1d(Float32Array.from(k, (x) => (x % 2 === 0 ? 1 : -1)))
    return tf.sub(tf.mul(sign, cosM), tf.mul(tf.tensor1d(k), 2)) as tf.Tensor1D
  })

/** SphereFace for given class weights W `[D, C]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  weights: tf.Tensor2D,
  options: Pick<OptionsInput, "margin" | "scale"> = {}
): LossValue => {
  const o = decode({ classes: weights.shape[1], dimension: weights.shape[0], ...options })
  return marginSoftmaxLoss("sphereFace", embeddings, labels, weights, o.classes, (cos, y) => {
    const norms = tf.reshape(tf.norm(embeddings, "euclidean", 1), [-1, 1])
    return tf.mul(
      marginLogits(cos, y, o.scale, (t) => psi(t, o.margin)),
      norms
    ) as tf.Tensor2D
  })
}

/** SphereFace as a Term owning its class weights W `[dimension, classes]`. @category constructors */
export const sphereFace = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return marginSoftmaxTerm("sphereFace", o, { weight, embedding }, (e, l, w) => loss(e, l, w, o))
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "sphereFace",
  description: "SphereFace (Liu et al. 2017)",
  options: Options,
  classParameters: true,
  make: sphereFace
})
