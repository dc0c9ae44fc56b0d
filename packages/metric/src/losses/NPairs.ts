/**
 * The N-pair loss (Sohn, NeurIPS 2016, "Improved Deep Metric Learning with Multi-class N-pair Loss
 * Objective"), as PML 2.8.1 computes it (`losses/n_pairs_loss.py`): one positive pair (a_k, p_k) per identity
 * of the batch (PML keeps, for each label, its first positive pair in row-major order), and with s the
 * similarity (PML's default `DotProductSimilarity`, on L2-normalised embeddings),
 *
 *     L = 1/N sum_k -log( exp(s(a_k, p_k)) / sum_l exp(s(a_k, p_l)) )
 *
 * (every other pair's positive is a negative of a_k). The paper's L2 penalty on the embeddings is not part of
 * PML's loss (add it as another term). References from another source are not supported (as in PML).
 * @since 0.2.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { decoder } from "../internal/options.ts"
import {
  type LossValue,
  oneHot,
  type PairExtras,
  pairTerm,
  prepareWith,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { PairPolicyFields } from "../Miner.ts"
import * as Score from "../Score.ts"
import type * as Term from "../Term.ts"
import { crossEntropy } from "./ArcFace.ts"
import { InvalidOption } from "@reidfx/tensor"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML default: dot product on normalised embeddings). */
export const Options = Schema.Struct({ ...Score.fields("dotProductSimilarity"), ...PairPolicyFields })
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `nPairs` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "nPairs")

/** The first positive pair (row-major) of each label, in increasing label order. @category math */
export const firstPairs = (
  positive: Uint8Array,
  rows: number,
  cols: number,
  labels: ArrayLike<number>
): { readonly anchors: Array<number>; readonly positives: Array<number> } => {
  const first = new Map<number, readonly [number, number]>()
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      if (positive[i * cols + j] === 1 && !first.has(labels[i]!)) first.set(labels[i]!, [i, j])
  const keys = [...first.keys()].sort((a, b) => a - b)
  return { anchors: keys.map((k) => first.get(k)![0]), positives: keys.map((k) => first.get(k)![1]) }
}

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decode(options)
  if (extras.references !== undefined)
    throw new InvalidOption({
      what: "nPairs",
      detail: "references from another source are not supported (the pairs come from the batch)"
    })
  const score = Score.fromFields(o)
  return tidyLoss(() => {
    const { distances: m, context: c } = prepareWith(
      "nPairs",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const { anchors, positives } = firstPairs(c.positive, c.rows, c.cols, c.labels)
    const n = anchors.length
    if (n === 0) return { loss: zeroLoss(m), stats: stats({ pairs: 0 }) }
    // s(a_k, p_l) = onehot(a) M onehot(p)^T
    const sim = tf.matMul(tf.matMul(oneHot(anchors, c.rows), m), oneHot(positives, c.cols), false, true) as tf.Tensor2D
    const logits = (score.inverted ? sim : tf.neg(sim)) as tf.Tensor2D
    return {
      loss: crossEntropy(
        logits,
        Array.from({ length: n }, (_, k) => k)
      ),
      stats: stats({ pairs: n })
    }
  })
}

/** The N-pair loss as a Term. @category constructors */
export const nPairs = (options: OptionsInput & Omit<TermOptions, "references"> = {}): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "nPairs",
    { distance: o.distance === "dotProductSimilarity" ? undefined : o.distance },
    { weight, embedding } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, { ...(x.cameras === undefined ? {} : { cameras: x.cameras }) })
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "nPairs",
  description: "N-pair loss (Sohn 2016)",
  options: Options,
  make: nPairs
})
