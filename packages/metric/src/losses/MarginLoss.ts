/**
 * Margin loss (Wu, Manmatha, Smola & Krähenbühl, ICCV 2017, "Sampling Matters in Deep Embedding Learning",
 * Eq. 4), as PML 2.8.1 computes it (`losses/margin_loss.py`): for every triplet (a, p, n) (all triplets, or a
 * triplet miner's, e.g. the paper's distance-weighted sampling),
 *
 *     l = [d_ap - beta + alpha]_+ + [beta - d_an + alpha]_+,      L = sum l / (#{positive terms > 0} + #{negative terms > 0})
 *
 * (PML's `DivisorReducer`; 0 when no term is positive), plus the boundary regulariser `nu * beta` (summed, as
 * PML adds its sub-losses). beta is one scalar, or one per class (`classes`, beta_{y_a}, the paper's
 * class-specific boundary; its regulariser is then `nu sum_t beta_{y_a(t)} / divisor`); with `learnBeta` it is a
 * trainable parameter of the term (the paper learns it with its own learning rate; here it shares the
 * model's). Defaults alpha (PML `margin`) 0.2, beta 1.2, nu 0, euclidean distance on normalised embeddings.
 * @since 0.2.0
 */
import { type Embeddings, InvalidOption, type Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema, type Scope } from "effect"
import { booleanWithDefault, decoder, nonNegative, numberWithDefault } from "../internal/options.ts"
import {
  camerasOf,
  embeddingsOf,
  type LossValue,
  oneHot,
  type PairExtras,
  prepareWith,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import { type Miner, PairPolicyFields } from "../Miner.ts"
import { mine as allTriplets } from "../miners/BatchAll.ts"
import type { Step } from "../Step.ts"
import * as TermParameters from "../TermParameters.ts"
import * as Score from "../Score.ts"
import * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML defaults: margin 0.2, beta 1.2, nu 0, fixed beta). */
export const Options = Schema.Struct({
  /** alpha, the margin around the boundary. */
  margin: nonNegative(0.2),
  /** The initial (or fixed) boundary beta. */
  beta: numberWithDefault(1.2),
  /** The weight of the beta regulariser `nu * beta`. */
  nu: nonNegative(0),
  /** beta is a trainable parameter of the term. */
  learnBeta: booleanWithDefault(false),
  /** One beta per class (labels must lie in `[0, classes)`); absent: one beta. */
  classes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0))),
  ...Score.fields("lp"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded & { readonly miner?: Miner }
/** Decodes `marginLoss` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "marginLoss")

/**
 * The loss over a batch for a given beta (`[1]` or `[classes]`, a tensor so a learnt beta gets its gradient).
 * Without `beta` the option's value is used. @category math
 */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {},
  beta?: tf.Tensor1D
): LossValue => {
  const { miner, ...rest } = options
  const o = decode(rest)
  const score = Score.fromFields(o)
  return tidyLoss(() => {
    const { distances: d, context: c } = prepareWith(
      "marginLoss",
      embeddings,
      labels,
      o,
      extras,
      score.matrix,
      score.inverted
    )
    const triplets = miner === undefined ? allTriplets(c) : miner.mine(c)
    if (triplets._tag !== "Triplets")
      throw new InvalidOption({
        what: "marginLoss",
        detail: `miner ${miner?.name} gives ${triplets._tag}; marginLoss needs a triplet miner (e.g. tripletMargin)`
      })
    const b = beta ?? (tf.fill([o.classes ?? 1], o.beta) as tf.Tensor1D)
    if (b.shape[0] !== (o.classes ?? 1))
      throw new InvalidOption({
        what: "marginLoss",
        detail: `beta has ${b.shape[0]} entries, expected ${o.classes ?? 1}`
      })
    const n = triplets.anchors.length
    if (n === 0) return { loss: zeroLoss(d), stats: stats({ triplets: 0, active: 0, skipped: triplets.skipped }) }
    let betaT: tf.Tensor1D
    if (o.classes === undefined) betaT = tf.mul(tf.ones([n]), b) as tf.Tensor1D
    else {
      const y = Array.from(triplets.anchors, (a) => c.labels[a]!)
      for (const v of y)
        if (!(v >= 0 && v < o.classes))
          throw new InvalidOption({
            what: "marginLoss: labels",
            detail: `label ${v} is outside [0, ${o.classes}); set classes to the number of identities`
          })
      betaT = tf.reshape(tf.matMul(oneHot(y, o.classes), tf.reshape(b, [-1, 1])), [n]) as tf.Tensor1D
    }
    const dap = selectEntries(d, triplets.anchors, triplets.positives)
    const dan = selectEntries(d, triplets.anchors, triplets.negatives)
    const posLoss = tf.relu(tf.add(Score.gap(score, dap, betaT), o.margin))
    const negLoss = tf.relu(tf.add(Score.gap(score, betaT, dan), o.margin))
    const divisor = posLoss.dataSync().filter((x) => x > 0).length + negLoss.dataSync().filter((x) => x > 0).length
    const marginTerm = divisor === 0 ? zeroLoss(d) : tf.div(tf.sum(tf.add(posLoss, negLoss)), divisor)
    // PML adds nu * beta only when beta is learnt
    const reg =
      !o.learnBeta || o.nu === 0
        ? tf.scalar(0)
        : o.classes === undefined
          ? tf.mul(tf.sum(b), o.nu)
          : divisor === 0
            ? tf.scalar(0)
            : tf.div(tf.mul(tf.sum(betaT), o.nu), divisor)
    return {
      loss: tf.add(marginTerm, reg) as tf.Scalar,
      stats: stats({ triplets: n, active: divisor, skipped: triplets.skipped })
    }
  })
}

/**
 * The margin loss as a Term; with `learnBeta` its beta is a scoped trainable variable of the term (listed in
 * the term function's `variables`). @category constructors
 */
export const marginLoss = (options: OptionsInput & TermOptions = {}): Term.Term<Scope.Scope> => {
  const { weight, embedding, references, miner, ...rest } = options
  const o = decode(rest)
  const full = { ...o, ...(miner === undefined ? {} : { miner }) }
  return Term.fromEffect(
    "marginLoss",
    {
      margin: o.margin,
      beta: o.beta,
      nu: o.nu || undefined,
      learnBeta: o.learnBeta || undefined,
      classes: o.classes,
      distance: o.distance === "lp" ? undefined : o.distance,
      miner: miner?.describe
    },
    Effect.gen(function* () {
      const betaVar = o.learnBeta
        ? yield* TermParameters.make("marginLoss/beta", 1, o.classes ?? 1, { _tag: "constant", value: o.beta })
        : undefined
      const fn = (step: Step) =>
        loss(
          embeddingsOf("marginLoss", step, embedding),
          step.labels,
          full,
          { cameras: camerasOf("marginLoss", step, o.crossCameraPositives), references: references?.(step) },
          betaVar === undefined ? undefined : (tf.reshape(betaVar, [-1]) as tf.Tensor1D)
        )
      return TermParameters.withVariables(fn, betaVar === undefined ? [] : [betaVar])
    }),
    weight ?? 1
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "marginLoss",
  description: "margin loss (Wu et al. 2017)",
  options: Options,
  make: marginLoss
})
