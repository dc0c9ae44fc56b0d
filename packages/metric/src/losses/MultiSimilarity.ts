/**
 * Multi-similarity loss (Wang, Han, Huang, Dong & Scott, CVPR 2019, "Multi-Similarity Loss with General Pair
 * Weighting for Deep Metric Learning"), as PML 2.8.1 computes it (`losses/multi_similarity_loss.py`, modified
 * from the authors' MalongTech/research-ms-loss), per anchor i with similarities S:
 *
 *     L_i = 1/alpha log(1 + sum_{p in P_i} exp(-alpha (S_ip - lambda))) + 1/beta log(1 + sum_{n in N_i} exp(beta (S_in - lambda)))
 *
 * and L = mean over all anchors (an anchor without positives contributes only its negative term). With a
 * distance instead of a similarity the exponents are PML's `margin(x, y)`: `alpha (d_ip - lambda)`, `beta (lambda - d_in)`.
 * P_i and N_i are every positive / negative of the anchor, or the pairs a pair miner returns (the paper pairs the
 * loss with {@link multiSimilarityMiner}). Defaults alpha 2, beta 50, lambda (PML `base`) 0.5, cosine similarity.
 * @since 0.2.0
 */
import { type Embeddings, InvalidOption, type Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { maskedLogSumExp } from "../internal/logSumExp.ts"
import { decoder, numberWithDefault, positive } from "../internal/options.ts"
import {
  type LossValue,
  type PairExtras,
  pairTerm,
  prepareWith,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { type Miner, type PairContext, PairPolicyFields } from "../Miner.ts"
import * as Score from "../Score.ts"
import type { Reducer } from "../Reducer.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML defaults: alpha 2, beta 50, base 0.5, cosine similarity). */
export const Options = Schema.Struct({
  alpha: positive(2),
  beta: positive(50),
  base: numberWithDefault(0.5),
  ...Score.fields("cosineSimilarity"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & {
  readonly miner?: Miner
  /** An injectable reducer (PML's `reducer=`) over the per-anchor losses (PML's `element` items); default PML's MeanReducer. */
  readonly reducer?: Reducer
}
/** Decodes `multiSimilarity` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "multiSimilarity")

/** Positive and negative masks from the context, or from a pair miner's pairs. @internal */
export const pairMasks = (
  c: PairContext,
  miner: Miner | undefined,
  what: string
): { readonly positive: Uint8Array; readonly negative: Uint8Array } => {
  if (miner === undefined) return { positive: c.positive, negative: c.negative }
  const mined = miner.mine(c)
  if (mined._tag !== "Pairs")
    throw new InvalidOption({
      what,
      detail: `miner ${miner.name} gives ${mined._tag}; ${what} needs a pair miner (e.g. multiSimilarityMiner, pairMargin)`
    })
  const positive = new Uint8Array(c.rows * c.cols)
  const negative = new Uint8Array(c.rows * c.cols)
  for (let t = 0; t < mined.positiveAnchors.length; t++)
    positive[mined.positiveAnchors[t]! * c.cols + mined.positiveRefs[t]!] = 1
  for (let t = 0; t < mined.negativeAnchors.length; t++)
    negative[mined.negativeAnchors[t]! * c.cols + mined.negativeRefs[t]!] = 1
  return { positive, negative }
}

const count = (m: Uint8Array): number => m.reduce((s, x) => s + x, 0)

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const { miner, reducer, ...rest } = options
  const o = decode(rest)
  const score = Score.fromFields(o)
  return tidyLoss(() => {
    const { distances: s, context: c } = prepareWith(
      "multiSimilarity",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const masks = pairMasks(c, miner, "multiSimilarity")
    const positivePairs = count(masks.positive)
    const negativePairs = count(masks.negative)
    if (positivePairs + negativePairs === 0)
      return { loss: zeroLoss(s), stats: stats({ positivePairs, negativePairs }) }
    const pos = tf.mul(Score.gap(score, s, o.base), o.alpha) as tf.Tensor2D
    const neg = tf.mul(Score.gap(score, o.base, s), o.beta) as tf.Tensor2D
    const per = tf.add(
      tf.div(maskedLogSumExp(pos, masks.positive, true), o.alpha),
      tf.div(maskedLogSumExp(neg, masks.negative, true), o.beta)
    )
    const reduced =
      reducer === undefined
        ? (tf.mean(per) as tf.Scalar)
        : reducer.reduce(
            { kind: "element", losses: per as tf.Tensor1D, indices: Int32Array.from({ length: c.rows }, (_, i) => i) },
            { embeddings, labels: c.labels }
          )
    return { loss: reduced, stats: stats({ positivePairs, negativePairs }) }
  })
}

/** The multi-similarity loss as a Term. @category constructors */
export const multiSimilarity = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, reducer, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "multiSimilarity",
    {
      alpha: o.alpha,
      beta: o.beta,
      base: o.base,
      distance: o.distance === "cosineSimilarity" ? undefined : o.distance,
      miner: miner?.describe,
      reducer: reducer?.name
    },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) =>
      loss(e, l, { ...o, ...(miner === undefined ? {} : { miner }), ...(reducer === undefined ? {} : { reducer }) }, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "multiSimilarity",
  description: "multi-similarity loss (Wang et al. 2019)",
  options: Options,
  make: multiSimilarity
})
