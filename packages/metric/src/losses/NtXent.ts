/**
 * NT-Xent, the normalised temperature-scaled cross-entropy (Chen, Kornblith, Norouzi & Hinton, ICML 2020,
 * "SimCLR"; the InfoNCE of van den Oord et al. 2018; the N-pair loss of Sohn 2016 with a temperature), with
 * labels as PML 2.8.1 defines it (`losses/ntxent_loss.py`): for every positive pair (a, p),
 *
 *     l_ap = -log( exp(s_ap / tau) / (exp(s_ap / tau) + sum_{n in N_a} exp(s_an / tau)) )
 *
 * and L = mean over positive pairs. s is a similarity (cosine by default); with a distance, s = -d. PML adds
 * the smallest float to the ratio inside the log (`c_f.small_val`); here the log-ratio is computed exactly as
 * `softplus(logsumexp_n(s_an / tau) - s_ap / tau)`, which differs only when the ratio underflows. An anchor
 * without negatives gives 0 for its pairs (counted in the mean, as in PML). Default tau = 0.07 (PML's).
 * @since 0.2.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { maskedLogSumExp } from "../internal/logSumExp.ts"
import { decoder, positive } from "../internal/options.ts"
import {
  type LossValue,
  type PairExtras,
  pairTerm,
  prepareWith,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { type Miner, PairPolicyFields } from "../Miner.ts"
import * as Score from "../Score.ts"
import type * as Term from "../Term.ts"
import { pairMasks } from "./MultiSimilarity.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML defaults: temperature 0.07, cosine similarity). */
export const Options = Schema.Struct({
  temperature: positive(0.07),
  ...Score.fields("cosineSimilarity"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & { readonly miner?: Miner }
/** Decodes `ntXent` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "ntXent")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const { miner, ...rest } = options
  const o = decode(rest)
  const score = Score.fromFields(o)
  return tidyLoss(() => {
    const { distances: m, context: c } = prepareWith(
      "ntXent",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const masks = pairMasks(c, miner, "ntXent")
    const anchors: Array<number> = []
    const refs: Array<number> = []
    let negatives = 0
    for (let k = 0; k < masks.positive.length; k++) {
      if (masks.positive[k] === 1) {
        anchors.push(Math.floor(k / c.cols))
        refs.push(k % c.cols)
      }
      negatives += masks.negative[k]!
    }
    if (anchors.length === 0 || negatives === 0)
      return { loss: zeroLoss(m), stats: stats({ positivePairs: anchors.length, negativePairs: negatives }) }
    const z = tf.div(score.inverted ? m : tf.neg(m), o.temperature) as tf.Tensor2D
    const hasNeg = new Float32Array(c.rows)
    for (let i = 0; i < c.rows; i++)
      for (let j = 0; j < c.cols; j++) if (masks.negative[i * c.cols + j] === 1) hasNeg[i] = 1
    const lseNeg = tf.reshape(maskedLogSumExp(z, masks.negative, false), [c.rows, 1]) as tf.Tensor2D
    const a = Int32Array.from(anchors)
    const zap = selectEntries(z, a, Int32Array.from(refs))
    const lse = selectEntries(lseNeg, a, new Int32Array(a.length))
    const has = selectEntries(tf.tensor2d(hasNeg, [c.rows, 1]), a, new Int32Array(a.length))
    const per = tf.mul(tf.softplus(tf.sub(lse, zap)), has)
    return {
      loss: tf.mean(per) as tf.Scalar,
      stats: stats({ positivePairs: anchors.length, negativePairs: negatives })
    }
  })
}

/** NT-Xent as a Term. @category constructors */
export const ntXent = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "ntXent",
    {
      temperature: o.temperature,
      distance: o.distance === "cosineSimilarity" ? undefined : o.distance,
      miner: miner?.describe
    },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, { ...o, ...(miner === undefined ? {} : { miner }) }, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "ntXent",
  description: "NT-Xent (Chen et al. 2020)",
  options: Options,
  make: ntXent
})
