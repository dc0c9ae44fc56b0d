/**
 * Circle loss (Sun, Cheng, Zhang, Zhang, Zheng, Wang & Wei, CVPR 2020, "Circle Loss: A Unified Perspective of
 * Pair Similarity Optimization"), pair-wise form with cosine similarities s, per anchor:
 *
 *     L_a = ln( 1 + sum_{n} exp(gamma * alpha_n * (s_n - delta_n)) * sum_{p} exp(-gamma * alpha_p * (s_p - delta_p)) )
 *     alpha_p = [1 + m - s_p]_+,  alpha_n = [s_n + m]_+,  delta_p = 1 - m,  delta_n = m
 *
 * and L = mean over anchors with a positive and a negative. As in the paper (and its reference code) the
 * weights alpha are constants for the gradient (`detachWeights: false` differentiates through them too). Computed as `softplus(logsumexp_n + logsumexp_p)` (exact masked
 * log-sum-exp, stable for large gamma). Defaults m = 0.25, gamma = 128 (fast-reid's pair-wise setting; the paper
 * also uses m = 0.25 and gamma = 256 for face recognition). Embeddings are compared by cosine similarity always.
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault, decoder, nonNegative, positive } from "../internal/options.ts"
import {
  type LossValue,
  type PairExtras,
  pairTerm,
  prepare,
  reduce,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { PairPolicyFields } from "../Miner.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (defaults m = 0.25, gamma = 128). */
export const Options = Schema.Struct({
  margin: nonNegative(0.25),
  gamma: positive(128),
  /** Treat the weights alpha as constants for the gradient (the paper and its code). Default true. */
  detachWeights: booleanWithDefault(true),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `circleLoss` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "circleLoss")

/** Masked log-sum-exp along rows: `max + log(sum(mask * exp(z - max)))` with a constant row max. @internal */
const maskedLogSumExp = (z: tf.Tensor2D, zValues: Float32Array, mask: Uint8Array): tf.Tensor1D => {
  const [rows, cols] = z.shape
  const max = new Float32Array(rows)
  for (let i = 0; i < rows; i++) {
    let m = Number.NEGATIVE_INFINITY
    for (let j = 0; j < cols; j++)
      if (mask[i * cols + j] === 1 && zValues[i * cols + j]! > m) m = zValues[i * cols + j]!
    max[i] = Number.isFinite(m) ? m : 0
  }
  const mk = tf.tensor2d(Float32Array.from(mask), [rows, cols])
  const mx = tf.tensor2d(max, [rows, 1])
  const e = tf.mul(tf.exp(tf.mul(tf.sub(z, mx), mk)), mk)
  const sum = tf.sum(e, 1)
  const safe = tf.add(sum, tf.sub(1, tf.step(sum)))
  return tf.add(tf.log(safe), tf.reshape(mx, [rows])) as tf.Tensor1D
}

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { distances, context: c } = prepare(
      "circleLoss",
      embeddings,
      labels,
      { ...o, distance: "cosine", normalize: false },
      extras
    )
    const { rows, cols } = c
    const valid: Array<number> = []
    for (let i = 0; i < rows; i++) if (c.valid[i] === 1) valid.push(i)
    if (valid.length === 0) return { loss: zeroLoss(distances), stats: stats({ anchors: 0, skipped: c.skipped }) }
    const s = tf.sub(1, distances) as tf.Tensor2D
    const m = o.margin
    const g = o.gamma
    // constant weights and their logits' values (for the row maxima)
    const alphaP = new Float32Array(rows * cols)
    const alphaN = new Float32Array(rows * cols)
    const zp = new Float32Array(rows * cols)
    const zn = new Float32Array(rows * cols)
    for (let k = 0; k < rows * cols; k++) {
      const sv = 1 - c.values[k]!
      alphaP[k] = Math.max(1 + m - sv, 0)
      alphaN[k] = Math.max(sv + m, 0)
      zp[k] = -g * alphaP[k]! * (sv - (1 - m))
      zn[k] = g * alphaN[k]! * (sv - m)
    }
    const ap = o.detachWeights ? tf.tensor2d(alphaP, [rows, cols]) : tf.relu(tf.sub(1 + m, s))
    const an = o.detachWeights ? tf.tensor2d(alphaN, [rows, cols]) : tf.relu(tf.add(s, m))
    const logitP = tf.mul(tf.mul(ap, tf.sub(s, 1 - m)), -g) as tf.Tensor2D
    const logitN = tf.mul(tf.mul(an, tf.sub(s, m)), g) as tf.Tensor2D
    const lse = tf.add(maskedLogSumExp(logitP, zp, c.positive), maskedLogSumExp(logitN, zn, c.negative))
    const per = tf.softplus(lse)
    const picked = selectEntries(
      tf.reshape(per, [rows, 1]) as tf.Tensor2D,
      Int32Array.from(valid),
      new Int32Array(valid.length)
    )
    return { loss: reduce(picked, "mean"), stats: stats({ anchors: valid.length, skipped: c.skipped }) }
  })
}

/** The circle loss as a Term. @category constructors */
export const circleLoss = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "circleLoss",
    { margin: o.margin, gamma: o.gamma, detachWeights: o.detachWeights ? undefined : false },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "circleLoss",
  description: "circle loss (Sun et al. 2020)",
  options: Options,
  make: circleLoss
})
