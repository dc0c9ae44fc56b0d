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
  tidyLoss
} from "../Loss.ts"
import type { Miner } from "../Miner.ts"
import type { Reducer } from "../Reducer.ts"
import { InvalidOption } from "@reidfx/tensor"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (defaults: m_pos = 0, m_neg = 1, p = 2 as Hadsell et al., mean over all pairs). */
export const Options = Schema.Struct({
  positiveMargin: nonNegative(0),
  negativeMargin: nonNegative(1),
  power: literalWithDefault(["1", "2"], "2"),
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "mean"),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a file, before defaults are applied (`power` also as a string). */
export type OptionsInput = Omit<typeof Options.Encoded, "power"> & {
  readonly power?: 1 | 2 | "1" | "2"
  readonly miner?: Miner
  /**
   * An injectable reducer (PML's `reducer=`); replaces `reduction`. As PML's `ContrastiveLoss`, the positive
   * pairs (`posPair` items) and the negative pairs (`negPair`) are reduced separately and the two are added.
   */
  readonly reducer?: Reducer
}
/** Decodes `contrastive` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "contrastive")
const decodeInput = ({ miner: _miner, reducer: _reducer, power, ...rest }: OptionsInput): Options =>
  decode(power === undefined ? rest : { ...rest, power: String(power) })

/** The (row, column) pairs of a row-major 0/1 mask. */
const maskPairs = (
  mask: ArrayLike<number>,
  cols: number
): { readonly anchors: Int32Array; readonly others: Int32Array } => {
  const anchors: Array<number> = []
  const others: Array<number> = []
  for (let k = 0; k < mask.length; k++) {
    if (mask[k] === 1) {
      anchors.push(Math.floor(k / cols))
      others.push(k % cols)
    }
  }
  return { anchors: Int32Array.from(anchors), others: Int32Array.from(others) }
}

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decodeInput(options)
  const miner = options.miner
  return tidyLoss(() => {
    const { distances: d, context: c } = prepare("contrastive", embeddings, labels, o, extras)
    const shape = (x: tf.Tensor) => (o.power === "2" ? tf.square(x) : x)
    if (options.reducer !== undefined) {
      const pairs = miner === undefined ? undefined : miner.mine(c)
      if (pairs !== undefined && pairs._tag !== "Pairs")
        throw new InvalidOption({
          what: "contrastive",
          detail: `miner ${miner!.name} gives ${pairs._tag}; contrastive needs a pair miner (e.g. marginSample)`
        })
      const pos =
        pairs === undefined
          ? maskPairs(c.positive, c.cols)
          : { anchors: pairs.positiveAnchors, others: pairs.positiveRefs }
      const neg =
        pairs === undefined
          ? maskPairs(c.negative, c.cols)
          : { anchors: pairs.negativeAnchors, others: pairs.negativeRefs }
      const posLosses = shape(
        tf.relu(tf.sub(selectEntries(d, pos.anchors, pos.others), o.positiveMargin))
      ) as tf.Tensor1D
      const negLosses = shape(
        tf.relu(tf.sub(o.negativeMargin, selectEntries(d, neg.anchors, neg.others)))
      ) as tf.Tensor1D
      const batch = { embeddings, labels: c.labels }
      const loss = tf.add(
        options.reducer.reduce({ kind: "posPair", losses: posLosses, ...pos }, batch),
        options.reducer.reduce({ kind: "negPair", losses: negLosses, ...neg }, batch)
      ) as tf.Scalar
      return {
        loss,
        stats: stats({
          positivePairs: pos.anchors.length,
          negativePairs: neg.anchors.length,
          active: countPositive(posLosses) + countPositive(negLosses),
          skipped: pairs?.skipped ?? c.skipped
        })
      }
    }
    if (miner !== undefined) {
      const mined = miner.mine(c)
      if (mined._tag !== "Pairs")
        throw new InvalidOption({
          what: "contrastive",
          detail: `miner ${miner.name} gives ${mined._tag}; contrastive needs a pair miner (e.g. marginSample)`
        })
      const posD = selectEntries(d, mined.positiveAnchors, mined.positiveRefs)
      const negD = selectEntries(d, mined.negativeAnchors, mined.negativeRefs)
      const per = tf.concat([
        shape(tf.relu(tf.sub(posD, o.positiveMargin))),
        shape(tf.relu(tf.sub(o.negativeMargin, negD)))
      ]) as tf.Tensor1D
      return {
        loss: reduce(per, o.reduction, d),
        stats: stats({
          positivePairs: posD.shape[0],
          negativePairs: negD.shape[0],
          active: countPositive(per),
          skipped: mined.skipped
        })
      }
    }
    const pos = tf.tensor2d(Float32Array.from(c.positive), [c.rows, c.cols])
    const neg = tf.tensor2d(Float32Array.from(c.negative), [c.rows, c.cols])
    const per = tf.add(
      tf.mul(pos, shape(tf.relu(tf.sub(d, o.positiveMargin)))),
      tf.mul(neg, shape(tf.relu(tf.sub(o.negativeMargin, d))))
    )
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
    {
      positiveMargin: o.positiveMargin,
      negativeMargin: o.negativeMargin,
      power: Number(o.power),
      miner: rest.miner?.describe,
      reducer: rest.reducer?.name
    },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, rest, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "contrastive",
  description: "contrastive loss (Hadsell et al. 2006)",
  options: Options,
  make: contrastive
})
