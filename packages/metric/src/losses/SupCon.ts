/**
 * Supervised contrastive loss (Khosla, Teterwak, Wang, Sarna, Tian, Isola, Maschinot, Liu & Krishnan,
 * NeurIPS 2020, "Supervised Contrastive Learning", the L_out form), as PML 2.8.1 computes it
 * (`losses/supcon_loss.py`, adapted from HobbitLong/SupContrast): per anchor i with z = s / tau,
 *
 *     L_i = -1/|P_i| sum_{p in P_i} ( z_ip - log sum_{k in P_i ∪ N_i} exp(z_ik) )
 *
 * (the anchor itself is in neither set), and L = mean over the anchors whose loss is non-zero (PML's
 * `AvgNonZeroReducer`); an anchor without positives has L_i = 0. s is a similarity (cosine by default); with
 * a distance, s = -d. Default tau = 0.1 (PML's).
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
  reduce,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { type Miner, PairPolicyFields } from "../Miner.ts"
import * as Score from "../Score.ts"
import type { Reducer } from "../Reducer.ts"
import type * as Term from "../Term.ts"
import { pairMasks } from "./MultiSimilarity.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML defaults: temperature 0.1, cosine similarity). */
export const Options = Schema.Struct({
  temperature: positive(0.1),
  ...Score.fields("cosineSimilarity"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & {
  readonly miner?: Miner
  /** An injectable reducer (PML's `reducer=`) over the per-anchor losses (PML's `element` items); default PML's AvgNonZeroReducer. */
  readonly reducer?: Reducer
}
/** Decodes `supCon` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "supCon")

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
    const { distances: m, context: c } = prepareWith(
      "supCon",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const masks = pairMasks(c, miner, "supCon")
    const positives = new Float32Array(c.rows)
    let anyNeg = false
    const both = new Uint8Array(c.rows * c.cols)
    for (let k = 0; k < both.length; k++) {
      both[k] = masks.positive[k]! | masks.negative[k]!
      positives[Math.floor(k / c.cols)]! += masks.positive[k]!
      if (masks.negative[k] === 1) anyNeg = true
    }
    const anyPos = positives.some((p) => p > 0)
    if (!anyPos || !anyNeg) return { loss: zeroLoss(m), stats: stats({ anchors: 0 }) }
    const z = tf.div(score.inverted ? m : tf.neg(m), o.temperature) as tf.Tensor2D
    const denominator = tf.reshape(maskedLogSumExp(z, both, false), [c.rows, 1])
    const pos = tf.tensor2d(Float32Array.from(masks.positive), [c.rows, c.cols])
    const sumLogProb = tf.sum(tf.mul(pos, tf.sub(z, denominator)), 1)
    const per = tf.neg(tf.div(sumLogProb, tf.tensor1d(positives.map((p) => Math.max(p, 1))))) as tf.Tensor1D
    const reduced =
      reducer === undefined
        ? reduce(per, "meanNonZero", m)
        : reducer.reduce(
            { kind: "element", losses: per, indices: Int32Array.from({ length: c.rows }, (_, i) => i) },
            { embeddings, labels: c.labels }
          )
    return { loss: reduced, stats: stats({ anchors: positives.filter((p) => p > 0).length }) }
  })
}

/** The supervised contrastive loss as a Term. @category constructors */
export const supCon = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, reducer, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "supCon",
    {
      temperature: o.temperature,
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
  name: "supCon",
  description: "supervised contrastive loss (Khosla et al. 2020)",
  options: Options,
  make: supCon
})
