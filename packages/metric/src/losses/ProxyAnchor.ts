/**
 * Proxy-anchor loss (Kim, Kim, Cho & Kwak, CVPR 2020, "Proxy Anchor Loss for Deep Metric Learning", Eq. 4),
 * as PML 2.8.1 computes it (`losses/proxy_anchor_loss.py`, adapted from the authors' code): proxies P `[C, D]`
 * (a trainable parameter of the term), s_ic the cosine similarity of x_i and p_c,
 *
 *     L = 1/|C+| sum_{c in C+} log(1 + sum_{i : y_i = c} exp(-alpha (s_ic - delta)))
 *       + 1/|C|  sum_{c}       log(1 + sum_{i : y_i != c} exp( alpha (s_ic + delta)))
 *
 * with C+ the classes present in the batch. Defaults delta (margin) 0.1, alpha 32; proxies initialised
 * N(0, 2 / C) (PML's `kaiming_normal_(mode="fan_out")`).
 * @since 0.2.0
 */
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema, type Scope } from "effect"
import * as Distance from "../Distance.ts"
import { checkLabels, classTerm } from "../internal/classTerm.ts"
import { maskedLogSumExp } from "../internal/logSumExp.ts"
import { decoder, numberWithDefault, positive } from "../internal/options.ts"
import { type LossValue, stats, type TermOptions, tidyLoss, zeroLoss } from "../Loss.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))

/** Options (PML defaults: margin 0.1, alpha 32). `classes` and `dimension` are required. */
export const Options = Schema.Struct({
  classes: PositiveInt,
  dimension: PositiveInt,
  margin: numberWithDefault(0.1),
  alpha: positive(32)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `proxyAnchor` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "proxyAnchor")

/** Proxy-anchor for given proxies `[C, D]`. @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  proxies: tf.Tensor2D,
  options: Pick<OptionsInput, "margin" | "alpha"> = {}
): LossValue => {
  const o = decode({ classes: proxies.shape[0], dimension: proxies.shape[1], ...options })
  Tensor.assertShapes("proxyAnchor", [
    [embeddings, ["batch", "dim"], "embeddings"],
    [labels, ["batch"], "labels"],
    [proxies, [null, "dim"], "proxies"]
  ])
  const y = checkLabels("proxyAnchor", labels, o.classes)
  return tidyLoss(() => {
    if (y.length === 0) return { loss: zeroLoss(embeddings), stats: stats({ proxies: 0 }) }
    const c = o.classes
    // class-major [C, B] similarities and masks
    const s = tf.matMul(Distance.l2Normalize(proxies), Distance.l2Normalize(embeddings), false, true) as tf.Tensor2D
    const pos = new Uint8Array(c * y.length)
    const neg = new Uint8Array(c * y.length)
    const present = new Set<number>()
    for (let i = 0; i < y.length; i++) {
      present.add(y[i]!)
      for (let k = 0; k < c; k++) (y[i] === k ? pos : neg)[k * y.length + i] = 1
    }
    const posTerm = maskedLogSumExp(tf.mul(tf.sub(s, o.margin), -o.alpha) as tf.Tensor2D, pos, true)
    const negTerm = maskedLogSumExp(tf.mul(tf.add(s, o.margin), o.alpha) as tf.Tensor2D, neg, true)
    const value = tf.add(tf.div(tf.sum(posTerm), present.size), tf.div(tf.sum(negTerm), c)) as tf.Scalar
    return { loss: value, stats: stats({ proxies: present.size }) }
  })
}

/** Proxy-anchor as a Term owning its proxies `[classes, dimension]`. @category constructors */
export const proxyAnchor = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return classTerm(
    "proxyAnchor",
    { classes: o.classes, dimension: o.dimension, margin: o.margin, alpha: o.alpha },
    { weight, embedding },
    {
      rows: o.classes,
      cols: o.dimension,
      init: { _tag: "kaimingNormalFanOut" }
    },
    (e, l, p) => loss(e, l, p, o)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "proxyAnchor",
  description: "proxy anchor loss (Kim et al. 2020)",
  options: Options,
  classParameters: true,
  make: proxyAnchor
})
