/**
 * AlignedReID's training loss (Zhang et al., "AlignedReID: Surpassing Human-Level Performance in Person
 * Re-Identification", 2017, section 3.1): a batch-hard triplet loss on the global features plus one on the
 * local (stripe) features, where the hard samples are mined **by the global distance** and reused for the local
 * distance,
 *
 *     (p_a, n_a) = (argmax_{y_p = y_a} D_g(a, p), argmin_{y_n != y_a} D_g(a, n))
 *     L = w_g * 1/|A| sum_a [D_g(a, p_a) - D_g(a, n_a) + m_g]_+  +  w_l * 1/|A| sum_a [D_l(a, p_a) - D_l(a, n_a) + m_l]_+
 *
 * with `D_l` the aligned shortest-path distance of {@link LocalDistance}. Defaults follow the released
 * reproduction (huanghoujing/AlignedReID-Re-Production-Pytorch, `script/experiment/train.py`): both margins
 * 0.3, features L2-normalised (`normalize_feature` true), and mining by the global distance (its
 * `local_dist_own_hard_sample` false; `localMining: "own"` mines the local distance's own hardest pairs).
 * Its default local weight is 0 (global only); the paper trains both, so the default here is 1.
 * The local features are read from `ModelOutputs.localFeatures` (a model with a local branch).
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { MissingOutput } from "../errors.ts"
import { booleanWithDefault, decoder, literalWithDefault, nonNegative, numberWithDefault } from "../internal/options.ts"
import * as LocalDistance from "../LocalDistance.ts"
import {
  embeddingsOf,
  hinge,
  type LossValue,
  prepare,
  reduce,
  selectEntries,
  stats,
  tidyLoss,
  type TermOptions
} from "../Loss.ts"
import { PairPolicyFields } from "../Miner.ts"
import * as BatchHard from "../miners/BatchHard.ts"
import * as Term from "../Term.ts"

/** Options (defaults: the reproduction's margins 0.3, normalised features, global mining; local weight 1). @since 0.1.0 */
export const Options = Schema.Struct({
  /** Margin m_g of the global triplet. */
  globalMargin: nonNegative(0.3),
  /** Margin m_l of the local triplet. */
  localMargin: nonNegative(0.3),
  /** Weight w_g of the global triplet. Default 1. */
  globalWeight: numberWithDefault(1, Schema.isGreaterThanOrEqualTo(0)),
  /** Weight w_l of the local triplet. Default 1. */
  localWeight: numberWithDefault(1, Schema.isGreaterThanOrEqualTo(0)),
  /** `global` (default, the paper): local triplets reuse the global hard pairs; `own`: mined by the local distance. */
  localMining: literalWithDefault(["global", "own"], "global"),
  /** L2-normalise global features and each stripe before the distances. Default true. */
  normalize: booleanWithDefault(true),
  /** Reduction over anchors. Default "mean". */
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "mean"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `alignedTriplet` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "alignedTriplet")

/**
 * The loss over a batch: global `[B, D]`, local `[B, H, C]` features and `[B]` labels. `stats`: `globalLoss`,
 * `localLoss`, `triplets`, `skipped`.
 * @category math
 * @since 0.1.0
 */
export const loss = (
  global: Embeddings,
  local: LocalDistance.LocalFeatures,
  labels: Labels,
  options: OptionsInput = {},
  cameras?: tf.Tensor1D
): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { distances, context } = prepare(
      "alignedTriplet",
      global,
      labels,
      { ...o, distance: "euclidean" },
      { cameras }
    )
    if (local.shape[0] !== global.shape[0]) {
      throw new MissingOutput({
        term: "alignedTriplet",
        field: "localFeatures",
        hint: `local features have ${local.shape[0]} rows, the global ${global.shape[0]}`
      })
    }
    const mined = BatchHard.mine(context)
    const { anchors, positives, negatives } = mined
    const perGlobal = hinge(
      tf.sub(selectEntries(distances, anchors, positives), selectEntries(distances, anchors, negatives)),
      o.globalMargin,
      false
    ) as tf.Tensor1D
    let localMined = mined
    if (o.localMining === "own") {
      const dl = LocalDistance.matrix(local, undefined, o.normalize)
      localMined = BatchHard.mine({ ...context, values: dl.dataSync() as Float32Array })
    }
    const ap = LocalDistance.pairs(local, localMined.anchors, localMined.positives, o.normalize)
    const an = LocalDistance.pairs(local, localMined.anchors, localMined.negatives, o.normalize)
    const perLocal = hinge(tf.sub(ap, an), o.localMargin, false) as tf.Tensor1D
    const globalLoss = reduce(perGlobal, o.reduction, distances)
    const localLoss = reduce(perLocal, o.reduction, local)
    return {
      loss: tf.add(tf.mul(globalLoss, o.globalWeight), tf.mul(localLoss, o.localWeight)) as tf.Scalar,
      stats: { globalLoss, localLoss, ...stats({ triplets: anchors.length, skipped: mined.skipped }) }
    }
  })
}

/** The local features of a step's outputs, or a {@link MissingOutput}. @category math @since 0.1.0 */
export const localFeaturesOf = (
  term: string,
  outputs: { readonly localFeatures?: tf.Tensor3D | undefined }
): LocalDistance.LocalFeatures => {
  if (outputs.localFeatures === undefined) {
    throw new MissingOutput({
      term,
      field: "outputs.localFeatures",
      hint: "use a model with a local branch (head.local in the model config)"
    })
  }
  return outputs.localFeatures
}

/**
 * AlignedReID's global + local triplet as a Term (reads `features` or `neckFeatures`, and `localFeatures`).
 * @category constructors
 * @since 0.1.0
 */
export const alignedTriplet = (options: OptionsInput & Omit<TermOptions, "references"> = {}): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return Term.make(
    "alignedTriplet",
    {
      globalMargin: o.globalMargin,
      localMargin: o.localMargin,
      localWeight: o.localWeight,
      localMining: o.localMining === "own" ? "own" : undefined
    },
    (step) =>
      loss(
        embeddingsOf("alignedTriplet", step, embedding),
        localFeaturesOf("alignedTriplet", step.outputs),
        step.labels,
        o,
        o.crossCameraPositives ? step.cameras : undefined
      ),
    weight ?? 1
  )
}
