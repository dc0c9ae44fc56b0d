/**
 * Quadruplet loss (Chen, Chen, Zhang & Huang 2017, "Beyond Triplet Loss: a Deep Quadruplet Network for Person
 * Re-identification"), in its batch-hard form: the triplet term plus a second term pushing the positive pair
 * below every negative pair that does not involve the anchor's identity,
 *
 *     L = 1/|A| sum_a ( [d(a, p) - d(a, n) + alpha1]_+ + [d(a, p) - d(k, l) + alpha2]_+ )
 *     p = argmax_{y_p = y_a} d(a, p),  n = argmin_{y_n != y_a} d(a, n),
 *     (k, l) = argmin_{y_k != y_l, y_k != y_a, y_l != y_a} d(k, l)
 *
 * (Chen et al.'s online hard mining; alpha1 = 1, alpha2 = 0.5 are the paper's margins). The paper learns the
 * metric d; here d is a fixed distance of the embeddings (euclidean by default). When a batch has no pair
 * `(k, l)` without the anchor's identity (fewer than three identities), the second term of that anchor is
 * skipped and counted (`skippedSecond`). Ties go to the lowest index.
 * @since 0.1.0
 */
import type { Embeddings, Labels } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { decoder, nonNegative } from "../internal/options.ts"
import {
  countPositive,
  type LossValue,
  type PairExtras,
  PairFields,
  pairTerm,
  prepare,
  selectEntries,
  stats,
  type TermOptions,
  tidyLoss,
  zeroLoss
} from "../Loss.ts"
import * as BatchHard from "../miners/BatchHard.ts"
import type * as Term from "../Term.ts"

/** Options (defaults alpha1 = 1, alpha2 = 0.5 from Chen et al. 2017). */
export const Options = Schema.Struct({
  alpha1: nonNegative(1),
  alpha2: nonNegative(0.5),
  ...PairFields
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `quadruplet` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "quadruplet")

/** The loss over a batch (see the module doc). @category math */
export const loss = (
  embeddings: Embeddings,
  labels: Labels,
  options: OptionsInput = {},
  extras: PairExtras = {}
): LossValue => {
  const o = decode(options)
  return tidyLoss(() => {
    const { distances: d, context: c } = prepare("quadruplet", embeddings, labels, o, extras)
    const t = BatchHard.mine(c)
    const n = t.anchors.length
    if (n === 0)
      return {
        loss: zeroLoss(d),
        stats: stats({ triplets: 0, quadruplets: 0, active: 0, skipped: c.skipped, skippedSecond: 0 })
      }
    // hardest negative pair avoiding each anchor label (cached per label)
    const best = new Map<number, readonly [number, number]>()
    const ks = new Int32Array(n)
    const ls = new Int32Array(n)
    const has = new Float32Array(n)
    let quadruplets = 0
    for (let ti = 0; ti < n; ti++) {
      const ya = c.labels[t.anchors[ti]!]!
      let pair = best.get(ya)
      if (pair === undefined) {
        let bk = -1
        let bl = -1
        let bd = Number.POSITIVE_INFINITY
        for (let k = 0; k < c.rows; k++) {
          const yk = c.labels[k]!
          if (yk === ya) continue
          for (let l = 0; l < c.cols; l++) {
            const yl = c.refLabels[l]!
            if (yl === ya || yl === yk) continue
            const v = c.values[k * c.cols + l]!
            if (v < bd) {
              bd = v
              bk = k
              bl = l
            }
          }
        }
        pair = [bk, bl]
        best.set(ya, pair)
      }
      if (pair[0] >= 0) {
        ks[ti] = pair[0]
        ls[ti] = pair[1]
        has[ti] = 1
        quadruplets++
      }
    }
    const dap = selectEntries(d, t.anchors, t.positives)
    const dan = selectEntries(d, t.anchors, t.negatives)
    const dkl = selectEntries(d, ks, ls)
    const first = tf.relu(tf.add(tf.sub(dap, dan), o.alpha1))
    const second = tf.mul(tf.relu(tf.add(tf.sub(dap, dkl), o.alpha2)), tf.tensor1d(has))
    const per = tf.add(first, second) as tf.Tensor1D
    const skippedSecond = n - quadruplets
    return {
      loss: tf.mean(per) as tf.Scalar,
      stats: stats({ triplets: n, quadruplets, active: countPositive(per), skipped: c.skipped, skippedSecond })
    }
  })
}

/** The quadruplet loss as a Term. @category constructors */
export const quadruplet = (options: OptionsInput & TermOptions = {}): Term.Term<never> => {
  const { weight, embedding, references, ...rest } = options
  const o = decode(rest)
  return pairTerm(
    "quadruplet",
    { alpha1: o.alpha1, alpha2: o.alpha2 },
    { weight, embedding, references } as TermOptions,
    o.crossCameraPositives,
    (e, l, x) => loss(e, l, o, x)
  )
}
