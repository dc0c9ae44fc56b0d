/**
 * LSTKC's long-short-term knowledge rectification (Xu, Zou, Peng & Zhou, "LSTKC: Long Short-Term Knowledge
 * Consolidation for Lifelong Person Re-Identification", AAAI 2024), following the authors' released code
 * (zhoujiahuan1991/AAAI2024-LSTKC `reid/trainer.py`: `get_normal_affinity`, `cal_KL`, `get_attri`; commit c63a3af).
 *
 * Both models' batch affinities are row softmaxes of the cosine similarities at temperature tau (`Norm=0.1`),
 *
 *     A(i, j) = softmax_j(cos(f_i, f_j) / tau)
 *
 * Each model's predictions are sorted with the labels (G(i, j) = [y_i = y_j]): a positive j is a true positive
 * (TP) when A(i, j) exceeds the row's hardest negative `P_i = max_{G=0} A(i, j)` (the diagonal is always TP),
 * else a false negative (FN); a negative is a false positive (FP) when it exceeds the row's hardest other
 * positive `N_i = min_j ((1 - G) + A + I)(i, j)`, else a true negative (TN). The target keeps what is right:
 *
 *     T = A_old * (TP_old + TN_old)                                   the old model is right
 *       + A_new * (TP_new + TN_new) * (FN_old + FP_old)               only the new model is right
 *       + FN_new * FN_old * max(P_new, P_old)                          both miss a positive
 *       + FP_new * FP_old * min(N_new, N_old)                          both rank a negative too high
 *     T <- T / sum_j T(i, j)
 *
 *     L_LSTKC = 1/B sum_i sum_j T(i, j) (log T(i, j) - log A_new(i, j))      (PyTorch `KLDivLoss(batchmean)`)
 *
 * As in the released code, the target is **not** detached: the gradient also flows through `A_new` in the
 * second line and through `P_new` / `N_new` (the 0/1 masks carry none). Entries with T = 0 contribute 0
 * (`kl_div`'s convention). The features are the model's `features` (LSTKC: the L2-normalised pooled feature
 * before the BNNeck; the cosine makes the normalisation irrelevant). Default weight 1 (`--AF_weight 1.0`).
 * @since 0.1.0
 */
import type { Loss, Term } from "@reidfx/metric"
import { type Embeddings, type Labels, ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { untaped } from "../Gradient.ts"
import { decoder, positive } from "../internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "../internal/term.ts"
import type { OldModel } from "../OldModel.ts"
import * as Source from "../Source.ts"

/** Options (default: tau = 0.1, the authors' `get_normal_affinity(x, Norm=0.1)`). @since 0.1.0 */
export const Options = Schema.Struct({
  /** tau: the affinity softmax's temperature (the authors' `Norm`). Default 0.1. */
  temperature: positive(0.1)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied. @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `lstkc` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "lstkc")

/**
 * The affinity `softmax_j(cos(f_i, f_j) / tau)` of a batch (`[B, B]`, rows sum to 1).
 * @category math
 * @since 0.1.0
 */
export const affinity = (features: tf.Tensor2D, temperature: number): tf.Tensor2D =>
  tf.tidy(() => {
    const unit = tf.div(features, tf.maximum(tf.norm(features, 2, 1, true), 1e-12)) as tf.Tensor2D
    return tf.softmax(tf.div(tf.matMul(unit, unit, false, true), temperature)) as tf.Tensor2D
  })

/** One model's sorted predictions (0/1 masks) and its row thresholds `P` (hardest negative) and `N` (hardest positive). */
export interface Attributes {
  readonly tp: tf.Tensor2D
  readonly fn: tf.Tensor2D
  readonly fp: tf.Tensor2D
  readonly tn: tf.Tensor2D
  readonly hardestNegative: tf.Tensor2D
  readonly hardestPositive: tf.Tensor2D
}

/**
 * The authors' `get_attri(Gts, A, margin=0)`: TP / FN over the positives, FP / TN over the negatives, and the
 * thresholds `[B, 1]`. `same` is the 0/1 label-equality matrix.
 * @category math
 * @since 0.1.0
 */
export const attributes = (same: tf.Tensor2D, a: tf.Tensor2D): Attributes =>
  tf.tidy(() => {
    const eye = tf.eye(a.shape[0]) as tf.Tensor2D
    const different = tf.sub(1, same) as tf.Tensor2D
    const hardestNegative = tf.max(tf.mul(different, a), 1, true) as tf.Tensor2D
    const hardestPositive = tf.min(tf.add(tf.add(different, a), eye), 1, true) as tf.Tensor2D
    // the 0/1 masks carry no gradient (comparisons): computed off the tape
    const masks = untaped(() => {
      const tp = tf.maximum(
        tf.cast(tf.greater(tf.sub(tf.mul(a, same), hardestNegative), 0), "float32"),
        eye
      ) as tf.Tensor2D
      const fp = tf.cast(tf.greater(tf.mul(a, different), hardestPositive), "float32") as tf.Tensor2D
      return { tp, fn: tf.sub(same, tp) as tf.Tensor2D, fp, tn: tf.sub(different, fp) as tf.Tensor2D }
    })
    return { ...masks, hardestNegative, hardestPositive }
  }) as unknown as Attributes

/**
 * The rectified target `T` (rows sum to 1) from the new and old affinities and the labels (see the module doc).
 * @category math
 * @since 0.1.0
 */
export const rectifiedTarget = (newAffinity: tf.Tensor2D, oldAffinity: tf.Tensor2D, labels: Labels): tf.Tensor2D =>
  tf.tidy(() => {
    const column = tf.reshape(labels, [-1, 1])
    const same = tf.cast(tf.equal(column, tf.reshape(labels, [1, -1])), "float32") as tf.Tensor2D
    const n = attributes(same, newAffinity)
    const o = attributes(same, oldAffinity)
    const oldRight = tf.mul(oldAffinity, tf.add(o.tn, o.tp))
    const newRight = tf.mul(newAffinity, tf.mul(tf.add(n.tn, n.tp), tf.add(o.fn, o.fp)))
    const hardPositives = tf.mul(tf.mul(n.fn, o.fn), tf.maximum(n.hardestNegative, o.hardestNegative))
    const hardNegatives = tf.mul(tf.mul(n.fp, o.fp), tf.minimum(n.hardestPositive, o.hardestPositive))
    const t = tf.addN([oldRight, newRight, hardPositives, hardNegatives])
    return tf.div(t, tf.sum(t, 1, true)) as tf.Tensor2D
  })

/**
 * L_LSTKC between the new model's features `[B, D]` and the old model's `[B, D']` on the same images.
 * @category math
 * @since 0.1.0
 */
export const loss = (
  newFeatures: Embeddings,
  oldFeatures: Embeddings,
  labels: Labels,
  options: OptionsInput = {}
): Loss.LossValue => {
  const o = decode(options)
  const b = newFeatures.shape[0]
  if (oldFeatures.rank !== 2 || oldFeatures.shape[0] !== b || labels.shape[0] !== b) {
    throw new ShapeMismatch({
      what: "lstkc: old features and labels (one row per image of the batch)",
      expected: [b],
      actual: [oldFeatures.shape[0], labels.shape[0]]
    })
  }
  return tf.tidy(() => {
    const aNew = affinity(newFeatures, o.temperature)
    const aOld = affinity(oldFeatures, o.temperature)
    const t = rectifiedTarget(aNew, aOld, labels)
    const positive = untaped(() => tf.greater(t, 0))
    // T log T - T log A_new, 0 where T = 0 (kl_div's xlogy)
    const terms = tf.where(positive, tf.mul(t, tf.sub(tf.log(tf.maximum(t, 1e-30)), tf.log(aNew))), tf.zerosLike(t))
    return { loss: tf.div(tf.sum(terms), b) as tf.Scalar, stats: {} }
  }) as unknown as Loss.LossValue
}

/**
 * L_LSTKC as a Term: the {@link OldModel}'s features on the step's images. `Term<OldModel>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const lstkc = <R = OldModel>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource("lstkc", o, weight, source ?? (Source.oldModel as Source.Source<never>), (step, target) =>
    loss(
      embeddingOf(step.outputs, "lstkc", "the model's", embedding),
      embeddingOf(target, "lstkc", "the old model's", embedding),
      step.labels,
      o
    )
  )
}
