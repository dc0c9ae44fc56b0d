/**
 * Batch-all triplet loss (Hermans, Beyer & Leibe 2017): every valid triplet of the batch,
 *
 *     L = 1/N sum_{a, p: y_p = y_a, n: y_n != y_a} [d(a, p) - d(a, n) + m]_+      (soft margin: ln(1 + exp(.)))
 *
 * with N the number of triplets (`reduction: "mean"`) or the number of non-zero ones (`"meanNonZero"`, the
 * paper's "BA≠0", the default). Computed densely as a `[B, R, R]` tensor of gaps masked by the valid triplets
 * (exact, no gather); memory grows as B * R^2.
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault, decoder, literalWithDefault, nonNegative } from "../internal/options.ts"
import {
  type LossValue,
  type PairExtras,
  PairFields,
  pairTerm,
  prepare,
  stats,
  type TermOptions,
  tidyLoss
} from "../Loss.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (defaults: margin 0.3, mean over non-zero triplets as Hermans et al.'s BA≠0). */
export const Options = Schema.Struct({
  margin: nonNegative(0.3),
  softMargin: booleanWithDefault(false),
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "meanNonZero"),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `tripletBatchAll` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "tripletBatchAll")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { distances, context: c } = prepare("tripletBatchAll", embeddings, labels, o, extras)
    const { rows, cols } = c
    // valid[a, p, n] = valid(a) & positive(a, p) & negative(a, n)
    const mask = new Float32Array(rows * cols * cols)
    let triplets = 0
    for (let a = 0; a < rows; a++) {
      if (c.valid[a] === 0) continue
      for (let p = 0; p < cols; p++) {
        if (c.positive[a * cols + p] !== 1) continue
        for (let n = 0; n < cols; n++) {
          if (c.negative[a * cols + n] !== 1) continue
          mask[(a * cols + p) * cols + n] = 1
          triplets++
        }
      }
    }
    const m = tf.tensor3d(mask, [rows, cols, cols])
    const gap = tf.sub(tf.expandDims(distances, 2), tf.expandDims(distances, 1)) // d(a,p) - d(a,n)
    const per = tf.mul(o.softMargin ? tf.softplus(gap) : tf.relu(tf.add(gap, o.margin)), m)
    const values = per.dataSync()
    let active = 0
    for (let i = 0; i < values.length; i++) if (values[i]! > 0) active++
    const total = tf.sum(per) as tf.Scalar
    const denominator = o.reduction === "sum" ? 1 : o.reduction === "mean" ? triplets : active
    return {
      loss: denominator === 1 ? total : (tf.div(total, Math.max(1, denominator)) as tf.Scalar), // total is 0 when the denominator is
      stats: stats({ triplets, active, skipped: c.skipped })
    }
  })
}

/** The batch-all triplet loss as a Term. @category constructors */
export const tripletBatchAll = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "tripletBatchAll",
    { margin: o.softMargin ? undefined : o.margin, softMargin: o.softMargin || undefined, reduction: o.reduction },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "tripletBatchAll",
  description: "batch-all triplet loss (Hermans et al. 2017)",
  options: Options,
  make: tripletBatchAll
})
