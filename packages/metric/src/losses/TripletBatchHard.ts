/**
 * Batch-hard triplet loss (Hermans, Beyer & Leibe 2017, "In Defense of the Triplet Loss for Person
 * Re-Identification"): for each anchor of a PK batch, its hardest positive and hardest negative,
 *
 *     L = 1/|A| sum_{a in A} [ max_{p: y_p = y_a} d(a, p) - min_{n: y_n != y_a} d(a, n) + m ]_+
 *
 * or, with `softMargin`, `ln(1 + exp(max d(a, p) - min d(a, n)))` (the paper's "soft margin", no m).
 * A is the set of anchors with a positive and a negative (others are skipped and counted). Any triplet or
 * weights miner can replace the batch-hard choice (`miner: semiHard()`, `miner: softHard({ temperature })`).
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import { Schema } from "effect"
import { decoder, nonNegative, booleanWithDefault, literalWithDefault } from "../internal/options.ts"
import { type LossValue, tidyLoss, type PairExtras, PairFields, pairTerm, prepare, type TermOptions } from "../Loss.ts"
import type { Miner } from "../Miner.ts"
import type { Reducer } from "../Reducer.ts"
import * as BatchHard from "../miners/BatchHard.ts"
import type * as Term from "../Term.ts"
import { fromMined } from "./Triplet.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (defaults: margin 0.3 as in torchreid/fast-reid and Luo et al. 2019; euclidean distance). */
export const Options = Schema.Struct({
  /** The margin m (ignored with softMargin). */
  margin: nonNegative(0.3),
  /** Use softplus instead of the hinge (Hermans et al.'s soft margin). Default false. */
  softMargin: booleanWithDefault(false),
  /** Reduction over anchors (triplets). Default "mean". */
  reduction: literalWithDefault(["mean", "meanNonZero", "sum"], "mean"),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & {
  readonly miner?: Miner
  /** An injectable reducer (PML's `reducer=`, e.g. `Reducer.avgNonZero()`); replaces `reduction`. */
  readonly reducer?: Reducer
}
/** Decodes `tripletBatchHard` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "tripletBatchHard")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const { miner, reducer, ...rest } = options
  const o = decode(rest)
  return tidyLoss(() => {
    const { distances, context } = prepare("tripletBatchHard", embeddings, labels, o, extras)
    const mined = miner === undefined ? BatchHard.mine(context) : miner.mine(context)
    const batch = reducer === undefined ? undefined : { reducer, batch: { embeddings, labels: context.labels } }
    return fromMined(distances, mined, o, "tripletBatchHard", batch)
  })
}

/** The batch-hard triplet loss as a Term. @category constructors */
export const tripletBatchHard = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, miner, reducer, ...rest } = options
  const o = decode(rest)
  const described =
    miner === undefined
      ? { margin: o.softMargin ? undefined : o.margin, softMargin: o.softMargin || undefined }
      : { miner: miner.describe, margin: o.margin }
  const describe = reducer === undefined ? described : { ...described, reducer: reducer.name }
  return pairTerm(
    "tripletBatchHard",
    describe,
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) =>
      loss(e, l, { ...o, ...(miner === undefined ? {} : { miner }), ...(reducer === undefined ? {} : { reducer }) }, x)
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "tripletBatchHard",
  description: "batch-hard triplet loss (Hermans et al. 2017)",
  options: Options,
  make: tripletBatchHard
})
