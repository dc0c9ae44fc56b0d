/**
 * FastAP (Cakir, He, Xia, Kulis & Sclaroff, CVPR 2019, "Deep Metric Learning to Rank"), as PML 2.8.1 computes
 * it (`losses/fast_ap_loss.py`, adapted from the authors' kunhe/FastAP-metric-learning): average precision of
 * each anchor's ranking, relaxed by a soft histogram of the distances to the other items. With d the distance
 * between L2-normalised embeddings raised to `power` (PML's `LpDistance(power=2)`: d in [0, 4]), L + 1 bin
 * centres z_l = l Δ (Δ = 2^power / L) and triangular pulses `δ_l(d) = [1 - |d - z_l| / Δ]_+`,
 *
 *     h+_il = sum_{j in P_i} δ_l(d_ij),   h-_il = sum_{j in N_i} δ_l(d_ij),   H+_il = sum_{l' <= l} h+_il',   H_il = sum_{l' <= l} (h+ + h-)_il'
 *     FastAP_i = 1/|P_i| sum_l h+_il H+_il / H_il          (terms with H_il = 0 count 0)
 *     L = mean over anchors with a positive of (1 - FastAP_i)
 *
 * Default L = 10 bins (PML's). References from another source are not supported (as in PML).
 * @since 0.2.0
 */
import { type Embeddings, InvalidOption, type Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { decoder, literalWithDefault, numberWithDefault } from "../internal/options.ts"
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
import { PairPolicyFields } from "../Miner.ts"
import * as Score from "../Score.ts"
import type * as Term from "../Term.ts"
import * as LossEntry from "../LossEntry.ts"

/** Options (PML defaults: 10 bins, squared euclidean distance on normalised embeddings). */
export const Options = Schema.Struct({
  bins: numberWithDefault(10, Schema.isInt()).check(Schema.isGreaterThan(0)),
  /** The power of the euclidean distance (2: squared, PML's default; the histogram spans [0, 2^power]). */
  power: literalWithDefault(["1", "2"], "2"),
  ...PairPolicyFields
})
export type Options = typeof Options.Type
/** The options as written in code or a file, before defaults are applied (`power` also as a string). */
export type OptionsInput = Omit<typeof Options.Encoded, "power"> & { readonly power?: 1 | 2 | "1" | "2" }
/** Decodes `fastAp` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "fastAp")
const decodeInput = ({ power, ...rest }: OptionsInput): Options =>
  decode(power === undefined ? rest : { ...rest, power: String(power) })

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decodeInput(options)
  if (extras.references !== undefined)
    throw new InvalidOption({
      what: "fastAp",
      detail: "references from another source are not supported (each anchor ranks the batch)"
    })
  const power = o.power === "2" ? 2 : 1
  const score = Score.make("lp", { normalize: true, power })
  return tidyLoss(() => {
    const { distances: d, context: c } = prepareWith("fastAp", embeddings, labels, o, extras, score.matrix)
    const n = c.rows
    const positives = new Float32Array(n)
    for (let k = 0; k < c.positive.length; k++) positives[Math.floor(k / c.cols)]! += c.positive[k]!
    const anchors = Array.from(positives)
      .map((p, i) => (p > 0 ? i : -1))
      .filter((i) => i >= 0)
    if (anchors.length === 0) return { loss: zeroLoss(d), stats: stats({ anchors: 0 }) }
    const delta = 2 ** power / o.bins
    const pos = tf.tensor2d(Float32Array.from(c.positive), [n, c.cols])
    const neg = tf.tensor2d(Float32Array.from(c.negative), [n, c.cols])
    const hp: Array<tf.Tensor> = []
    const hn: Array<tf.Tensor> = []
    for (let l = 0; l <= o.bins; l++) {
      const pulse = tf.relu(tf.sub(1, tf.div(tf.abs(tf.sub(d, l * delta)), delta)))
      hp.push(tf.sum(tf.mul(pulse, pos), 1))
      hn.push(tf.sum(tf.mul(pulse, neg), 1))
    }
    const hPos = tf.stack(hp, 1) // [N, L + 1]
    const hAll = tf.add(hPos, tf.stack(hn, 1))
    const cumPos = tf.cumsum(hPos, 1)
    const cumAll = tf.cumsum(hAll, 1)
    const nonZero = tf.tensor(
      Float32Array.from(cumAll.dataSync(), (v) => (v > 0 ? 1 : 0)),
      cumAll.shape
    )
    const ratio = tf.mul(tf.div(tf.mul(hPos, cumPos), tf.add(cumAll, tf.sub(1, nonZero))), nonZero)
    const fastAp = tf.div(tf.sum(ratio, 1), tf.tensor1d(positives.map((p) => Math.max(p, 1))))
    const has = tf.tensor1d(positives.map((p) => (p > 0 ? 1 : 0)))
    const value = tf.div(tf.sum(tf.mul(tf.sub(1, fastAp), has)), anchors.length) as tf.Scalar
    return { loss: value, stats: stats({ anchors: anchors.length }) }
  })
}

/** FastAP as a Term. @category constructors */
export const fastAp = (options: OptionsInput & Omit<TermOptions, "references"> = {}): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decodeInput(rest)
  return pairTerm(
    "fastAp",
    { bins: o.bins, power: o.power === "2" ? undefined : o.power },
    { weight, embedding } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o as OptionsInput, { ...(x.cameras === undefined ? {} : { cameras: x.cameras }) })
  )
}

/** The catalog entry of the loss (collected by `Catalog.losses`). @category catalog */
export const entry = LossEntry.make({
  name: "fastAp",
  description: "FastAP (Cakir et al. 2019)",
  options: Options,
  make: fastAp
})
