/**
 * Lifted structured loss (Oh Song, Xiang, Jegelka & Savarese, CVPR 2016, "Deep Metric Learning via Lifted
 * Structured Feature Embedding", Eq. 4), as PML 2.8.1 computes it (`losses/lifted_structure_loss.py`): for
 * every positive pair (a, p),
 *
 *     J_ap = [ log sum_{(k, n) : k in {a, p}, n in N_k} exp(m_neg - d_kn) + (d_ap - m_pos) ]_+^2 / 2
 *
 * (the negatives of both ends of the pair), and L = mean over positive pairs (each unordered pair is listed
 * twice, hence the 1/2, as in PML). With a similarity the margins are PML's `margin(x, y)`: `s_kn - m_neg` and
 * `m_pos - s_ap`. When the references are not the anchors, "the negatives of p" are those of anchor row p (PML
 * compares the indices as they are); a positive index beyond the anchors contributes no negatives.
 * Defaults m_neg = 1, m_pos = 0 and PML's distance: euclidean on L2-normalised embeddings.
 * @since 0.2.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { logAddExp, maskedLogSumExp } from "../internal/logSumExp.ts"
import { decoder, numberWithDefault } from "../internal/options.ts"
import {
  type LossValue,
  oneHot,
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

/** Options (PML defaults: negativeMargin 1, positiveMargin 0, normalised euclidean distance). */
export const Options = Schema.Struct({
  negativeMargin: numberWithDefault(1),
  positiveMargin: numberWithDefault(0),
  ...Score.fields("lp"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & { readonly miner?: Miner }
/** Decodes `liftedStructure` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "liftedStructure")

/** A large negative standing for log(0) (exp of it is exactly 0 in float32). */
const LOG_ZERO = -1e4

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
      "liftedStructure",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const masks = pairMasks(c, miner, "liftedStructure")
    const a: Array<number> = []
    const p: Array<number> = []
    const hasNeg = new Float32Array(c.rows)
    for (let k = 0; k < masks.positive.length; k++) {
      if (masks.positive[k] === 1) {
        a.push(Math.floor(k / c.cols))
        p.push(k % c.cols)
      }
      if (masks.negative[k] === 1) hasNeg[Math.floor(k / c.cols)] = 1
    }
    if (a.length === 0 || !hasNeg.some((h) => h === 1))
      return { loss: zeroLoss(m), stats: stats({ positivePairs: a.length, active: 0 }) }
    // per-row log-sum-exp of the remaining negative margins, LOG_ZERO for rows without negatives (and beyond the anchors)
    const rowLse = maskedLogSumExp(Score.gap(score, o.negativeMargin, m) as tf.Tensor2D, masks.negative, false)
    const rowValue = tf.add(tf.mul(rowLse, tf.tensor1d(hasNeg)), tf.mul(tf.sub(1, tf.tensor1d(hasNeg)), LOG_ZERO))
    const padded = tf.reshape(tf.concat([rowValue, tf.tensor1d([LOG_ZERO])]), [c.rows + 1, 1]) as tf.Tensor2D
    const pRow = p.map((j) => (j < c.rows ? j : c.rows))
    const lseA = tf.reshape(tf.matMul(oneHot(a, c.rows + 1), padded), [-1])
    const lseP = tf.reshape(tf.matMul(oneHot(pRow, c.rows + 1), padded), [-1])
    const dap = selectEntries(m, Int32Array.from(a), Int32Array.from(p))
    // a pair whose two ends have no negatives: PML's masked log-sum-exp is 0 there
    const some = Float32Array.from(a, (ai, t) =>
      hasNeg[ai] === 1 || (pRow[t]! < c.rows && hasNeg[pRow[t]!] === 1) ? 1 : 0
    )
    const negTerm = tf.mul(logAddExp(lseA, lseP), tf.tensor1d(some))
    const per = tf.div(tf.square(tf.relu(tf.add(negTerm, Score.gap(score, dap, o.positiveMargin)))), 2) as tf.Tensor1D
    const active = per.dataSync().filter((x) => x > 0).length
    return { loss: tf.mean(per) as tf.Scalar, stats: stats({ positivePairs: a.length, active }) }
  })
}

/** The lifted structured loss as a Term. @category constructors */
export const liftedStructure = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "liftedStructure",
    {
      negativeMargin: o.negativeMargin,
      positiveMargin: o.positiveMargin,
      distance: o.distance === "lp" ? undefined : o.distance,
      miner: miner?.describe
    },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, { ...o, ...(miner === undefined ? {} : { miner }) }, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "liftedStructure",
  description: "lifted structure loss (Oh Song et al. 2016)",
  options: Options,
  make: liftedStructure
})
