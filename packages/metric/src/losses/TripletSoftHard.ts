/**
 * Soft-hard (weighted) triplet loss: batch-hard mining softened by an exact masked softmax over each anchor's
 * positives and negatives (the "soft triplet hard" of the seed survey; fast-reid's weighted triplet):
 *
 *     w_ap = softmax_{p: y_p = y_a}(d(a, p) / T),   w_an = softmax_{n: y_n != y_a}(-d(a, n) / T)
 *     L = 1/|A| sum_a [ sum_p w_ap d(a, p) - sum_n w_an d(a, n) + m ]_+      (soft margin: ln(1 + exp(.)))
 *
 * The weights are computed inside the graph (the gradient flows through them, as in fast-reid), exactly masked
 * (no additive fudge term); as `T -> 0` the loss tends to {@link tripletBatchHard}. Anchors without a positive or
 * a negative are skipped and counted. Defaults: T = 1, hinge with margin 0.3 (fast-reid's defaults; the same as
 * {@link tripletBatchHard}, so the T -> 0 limit holds with default options).
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault, decoder, literalWithDefault, nonNegative, positive } from "../internal/options.ts"
import {
  countPositive,
  type LossValue,
  type PairExtras,
  PairFields,
  pairTerm,
  prepare,
  reduce,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (defaults: T = 1, hinge with margin 0.3; `softMargin: true` for softplus). */
export const Options = Schema.Struct({
  temperature: positive(1),
  margin: nonNegative(0.3),
  softMargin: booleanWithDefault(false),
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "mean"),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `tripletSoftHard` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "tripletSoftHard")

/**
 * Exact masked softmax of `logits` along rows over the entries where `mask` is 1 (`mask`, `rowMax` constants):
 * masked entries get weight exactly 0, rows without any entry get all zeros.
 * @category math
 */
export const maskedSoftmax = (logits: tf.Tensor2D, mask: tf.Tensor2D, rowMax: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => {
    // exp of (logits - max) only where masked in; elsewhere exp(0) * 0
    const shifted = tf.mul(tf.sub(logits, rowMax), mask)
    const e = tf.mul(tf.exp(shifted), mask)
    const sum = tf.sum(e, 1, true)
    const safe = tf.add(sum, tf.sub(1, tf.step(sum))) // rows without entries: divide by 1
    return tf.div(e, safe) as tf.Tensor2D
  })

const maskedRowMax = (values: Float32Array, mask: Uint8Array, rows: number, cols: number, sign: number, t: number) => {
  const out = new Float32Array(rows)
  for (let i = 0; i < rows; i++) {
    let m = 0
    let first = true
    for (let j = 0; j < cols; j++) {
      if (mask[i * cols + j] !== 1) continue
      const v = (sign * values[i * cols + j]!) / t
      if (first || v > m) m = v
      first = false
    }
    out[i] = m
  }
  return tf.tensor2d(out, [rows, 1])
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
    const { distances: d, context: c } = prepare("tripletSoftHard", embeddings, labels, o, extras)
    const { rows, cols } = c
    const valid: Array<number> = []
    for (let i = 0; i < rows; i++) if (c.valid[i] === 1) valid.push(i)
    if (valid.length === 0) return { loss: zeroLoss(d), stats: stats({ triplets: 0, active: 0, skipped: c.skipped }) }
    const pos = tf.tensor2d(Float32Array.from(c.positive), [rows, cols])
    const neg = tf.tensor2d(Float32Array.from(c.negative), [rows, cols])
    const t = o.temperature
    const wp = maskedSoftmax(tf.div(d, t) as tf.Tensor2D, pos, maskedRowMax(c.values, c.positive, rows, cols, 1, t))
    const wn = maskedSoftmax(
      tf.div(tf.neg(d), t) as tf.Tensor2D,
      neg,
      maskedRowMax(c.values, c.negative, rows, cols, -1, t)
    )
    const gap = tf.reshape(tf.sub(tf.sum(tf.mul(wp, d), 1), tf.sum(tf.mul(wn, d), 1)), [rows, 1]) as tf.Tensor2D
    const g = selectEntries(gap, Int32Array.from(valid), new Int32Array(valid.length))
    const per = (o.softMargin ? tf.softplus(g) : tf.relu(tf.add(g, o.margin))) as tf.Tensor1D
    return {
      loss: reduce(per, o.reduction),
      stats: stats({ triplets: valid.length, active: countPositive(per), skipped: c.skipped })
    }
  })
}

/** The soft-hard triplet loss as a Term. @category constructors */
export const tripletSoftHard = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "tripletSoftHard",
    { temperature: o.temperature, margin: o.softMargin ? undefined : o.margin, softMargin: o.softMargin || undefined },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "tripletSoftHard",
  description: "soft-hard (weighted) triplet loss (fast-reid's weighted triplet)",
  options: Options,
  make: tripletSoftHard
})
