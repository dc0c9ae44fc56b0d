/**
 * Margin sample mining loss, MSML (Xiao, Luo & Zhang 2017, "Margin Sample Mining Loss: A Deep Learning Based
 * Method for Person Re-identification"): one triplet-like constraint per batch, between its hardest positive
 * pair and its hardest negative pair,
 *
 *     L = [ max_{y_a = y_p} d(a, p) - min_{y_k != y_l} d(k, l) + m ]_+        (soft margin: ln(1 + exp(.)))
 *
 * (the pairs come from {@link marginSample}; only anchors valid under the pair policy take part). A batch without
 * a positive or a negative pair gives 0. Default margin 0.3 (the usual ReID triplet margin; set the paper's own
 * value if you reproduce a table).
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { booleanWithDefault, decoder, nonNegative } from "../internal/options.ts"
import {
  hinge,
  type LossValue,
  type PairExtras,
  PairFields,
  pairTerm,
  prepare,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import * as MarginSample from "../miners/MarginSample.ts"
import type * as Term from "../Term.ts"

/** Options (default margin 0.3). */
export const Options = Schema.Struct({
  margin: nonNegative(0.3),
  softMargin: booleanWithDefault(false),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `marginSampleMining` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "marginSampleMining")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { distances: d, context: c } = prepare("marginSampleMining", embeddings, labels, o, extras)
    const pairs = MarginSample.mine(c)
    if (pairs.positiveAnchors.length === 0)
      return { loss: zeroLoss(d), stats: stats({ triplets: 0, active: 0, skipped: c.skipped }) }
    const gap = tf.sub(
      selectEntries(d, pairs.positiveAnchors, pairs.positiveRefs),
      selectEntries(d, pairs.negativeAnchors, pairs.negativeRefs)
    )
    const value = tf.sum(hinge(gap, o.margin, o.softMargin)) as tf.Scalar
    return { loss: value, stats: stats({ triplets: 1, active: value.dataSync()[0]! > 0 ? 1 : 0, skipped: c.skipped }) }
  })
}

/** The margin sample mining loss as a Term. @category constructors */
export const marginSampleMining = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "marginSampleMining",
    { margin: o.softMargin ? undefined : o.margin, softMargin: o.softMargin || undefined },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, x)
  )
}
