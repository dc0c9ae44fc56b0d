/**
 * Improved triplet loss (Cheng, Gong, Zhou, Wang & Zheng, CVPR 2016, "Person Re-Identification by Multi-Channel
 * Parts-Based CNN with Improved Triplet Loss Function"): the triplet term plus an absolute bound on positive pairs,
 *
 *     L = 1/N sum_{(a, p, n)} ( max(d(a, p) - d(a, n), tau1) + beta * max(d(a, p), tau2) )
 *
 * with d the squared euclidean distance, tau1 = -1, tau2 = 0.01, beta = 0.002 (the paper's values). The
 * triplets are all valid triplets of the batch (the default batch-all miner) or those of any triplet miner. The
 * value can be negative (down to tau1 + beta * tau2): it is not a non-negative loss by definition.
 * @since 0.1.0
 */
import { InvalidOption, type Embeddings, type Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { decoder, literalWithDefault, nonNegative, numberWithDefault } from "../internal/options.ts"
import {
  type LossValue,
  type PairExtras,
  pairFieldsWith,
  pairTerm,
  prepare,
  reduce,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss
} from "../Loss.ts"
import type { Miner } from "../Miner.ts"
import * as BatchAll from "../miners/BatchAll.ts"
import type * as Term from "../Term.ts"

/** Options (defaults from Cheng et al. 2016). */
export const Options = Schema.Struct({
  tau1: numberWithDefault(-1),
  tau2: numberWithDefault(0.01),
  beta: nonNegative(0.002),
  ...pairFieldsWith("squaredEuclidean"),
  reduction: literalWithDefault(["mean", "sum"], "mean")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & { readonly miner?: Miner }
/** Decodes `improvedTriplet` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "improvedTriplet")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const { miner, ...rest } = options
  const o = decode(rest)
  return tidyLoss(() => {
    const { distances: d, context } = prepare("improvedTriplet", embeddings, labels, o, extras)
    const mined = miner === undefined ? BatchAll.mine(context) : miner.mine(context)
    if (mined._tag !== "Triplets")
      throw new InvalidOption({
        what: "improvedTriplet",
        detail: `miner ${miner?.name} gives ${mined._tag}; improvedTriplet needs a triplet miner`
      })
    const dap = selectEntries(d, mined.anchors, mined.positives)
    const dan = selectEntries(d, mined.anchors, mined.negatives)
    // max(x, tau) = relu(x - tau) + tau
    const inter = tf.add(tf.relu(tf.sub(tf.sub(dap, dan), o.tau1)), o.tau1)
    const intra = tf.add(tf.relu(tf.sub(dap, o.tau2)), o.tau2)
    const per = tf.add(inter, tf.mul(intra, o.beta)) as tf.Tensor1D
    return { loss: reduce(per, o.reduction, d), stats: stats({ triplets: per.shape[0], skipped: mined.skipped }) }
  })
}

/** The improved triplet loss as a Term. @category constructors */
export const improvedTriplet = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "improvedTriplet",
    { tau1: o.tau1, tau2: o.tau2, beta: o.beta, miner: miner?.describe },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, { ...o, ...(miner === undefined ? {} : { miner }) }, x)
  )
}
