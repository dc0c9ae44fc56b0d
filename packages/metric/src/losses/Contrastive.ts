/**
 * Contrastive loss with a positive and a negative margin (Hadsell, Chopra & LeCun 2006; for ReID: Varior et al.
 * 2016, "Gated Siamese CNN"):
 *
 *     L = 1/N ( sum_{positive pairs} [d(i, j) - m_pos]_+^p + sum_{negative pairs} [m_neg - d(i, j)]_+^p )
 *
 * with N the number of pairs (`mean`), of non-zero pairs (`meanNonZero`) or 1 (`sum`). Hadsell et al.'s loss is
 * the `p = 2, m_pos = 0` case with a factor 1/2 (use the Term weight 0.5 to match it exactly). Pairs are all
 * ordered pairs of the batch (each unordered pair twice: the mean is unchanged), or those chosen by a pair miner
 * (`miner: marginSample()`). Positive pairs follow the pair policy (self pairs excluded, `crossCameraPositives`).
 * The `skipped` stat counts anchors without a positive or a negative, as for the other losses, but a pair loss has
 * no anchor to skip: such an anchor's pairs of the other kind still count (as in pytorch-metric-learning).
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { decoder, literalWithDefault, nonNegative } from "../internal/options.ts"
import { countPositive, type LossValue, type PairExtras, PairFields, pairTerm, prepare, reduce, selectEntries, stats, type TermOptions, tidyLoss } from "../Loss.ts"
import type { Miner } from "../Miner.ts"
import { InvalidOption } from "@reidfx/tensor"
import type * as Term from "../Term.ts"

/** Options (defaults: m_pos = 0, m_neg = 1, p = 2 as Hadsell et al., mean over all pairs). */
export const Options = Schema.Struct({
  positiveMargin: nonNegative(0),
  negativeMargin: nonNegative(1),
  power: literalWithDefault(["1", "2"], "2"),
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "mean"),
  ...PairFields
})
export type Options = typeof Options.Type
export type OptionsInput = Omit<typeof Options.Encoded, "power"> & { readonly power?: 1 | 2 | "1" | "2"; readonly miner?: Miner }
/** Decodes `contrastive` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "contrastive")
const decodeInput = ({ miner: _miner, power, ...rest }: OptionsInput): Options => decode(power === undefined ? rest : { ...rest, power: String(power) })

/** The loss over a batch (see the module doc). @category math */
export const loss = (embeddings: Embeddings, labels: Labels, options: OptionsInput = {}, extras: PairExtras = {}): LossValue => {
  const o = decodeInput(options)
  const miner = options.miner
  return tidyLoss(() => {
    const { distances: d, context: c } = prepare("contrastive", embeddings, labels, o, extras)
    const shape = (x: tf.Tensor) => (o.power === "2" ? tf.square(x) : x)
    if (miner !== undefined) {
      const mined = miner.mine(c)
      if (mined._tag !== "Pairs") throw new InvalidOption({ what: "contrastive", detail: `miner ${miner.name} gives ${mined._tag}; contrastive needs a pair miner (e.g. marginSample)` })
      const posD = selectEntries(d, mined.positiveAnchors, mined.positiveRefs)
      const negD = selectEntries(d, mined.negativeAnchors, mined.negativeRefs)
      const per = tf.concat([shape(tf.relu(tf.sub(posD, o.positiveMargin))), shape(tf.relu(tf.sub(o.negativeMargin, negD)))]) as tf.Tensor1D
      return { loss: reduce(per, o.reduction, d), stats: stats({ positivePairs: posD.shape[0], negativePairs: negD.shape[0], active: countPositive(per), skipped: mined.skipped }) }
    }
    const pos = tf.tensor2d(Float32Array.from(c.positive), [c.rows, c.cols])
    const neg = tf.tensor2d(Float32Array.from(c.negative), [c.rows, c.cols])
    const per = tf.add(tf.mul(pos, shape(tf.relu(tf.sub(d, o.positiveMargin)))), tf.mul(neg, shape(tf.relu(tf.sub(o.negativeMargin, d)))))
    let positivePairs = 0
    let negativePairs = 0
    for (let k = 0; k < c.positive.length; k++) {
      positivePairs += c.positive[k]!
      negativePairs += c.negative[k]!
    }
    const pairs = positivePairs + negativePairs
    const active = countPositive(per)
    const total = tf.sum(per) as tf.Scalar
    const denominator = o.reduction === "sum" ? 1 : o.reduction === "mean" ? pairs : active
    return {
      loss: tf.div(total, Math.max(1, denominator)) as tf.Scalar, // total is 0 when the denominator is
      stats: stats({ positivePairs, negativePairs, active, skipped: c.skipped })
    }
  })
}

/** The contrastive loss as a Term. @category constructors */
export const contrastive = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decodeInput(rest)
  return pairTerm(
    "contrastive",
    { positiveMargin: o.positiveMargin, negativeMargin: o.negativeMargin, power: Number(o.power), miner: rest.miner?.describe },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, rest, x)
  )
}
