/**
 * The two losses of KRKC, knowledge refreshing and knowledge consolidation (Yu, Ye, Zhou, Zheng & Cheng,
 * "Lifelong Person Re-identification via Knowledge Refreshing and Consolidation", AAAI 2023), following the
 * authors' released code (cly234/LReID-KRKC, commit b5c38d6: `reid/trainer.py`, `reid/loss/triplet.py`).
 *
 * **Soft triplet** (`SoftTripletLoss(margin)` with a margin, as `Trainer` builds it with `--margin 0.3`): on the
 * Euclidean distances of the raw features (`euclidean_dist`: `sqrt(max(d^2, 1e-12))`), the batch-hard pair of
 * each anchor (its farthest positive, itself included, and its nearest negative, `_batch_hard`), then a
 * two-way log-softmax (m in [0, 1]) over the two distances:
 *
 *     L_st = 1/B sum_i [ -m log p_ap(i) - (1 - m) log p_an(i) ],    (p_ap, p_an) = softmax(d_ap(i), d_an(i))
 *
 * **Knowledge calibration** (`loss_kd_js(old_logits, new_logits)`, T = 2): a learner's logits z against the other
 * learner's logits z' (detached, `old_logits.detach()`):
 *
 *     q = log_softmax((z + z') / 2T),   p' = softmax(z' / T),   p = softmax(z / T)
 *     L_cal = T^2 / 2 (KL(p' || q) + KL(p || q))     (`F.kl_div(q, target, reduction="batchmean")`: 1/B sum)
 *
 * As in the released code, p (the trained learner's own distribution, a `kl_div` target) is not detached: the
 * gradient flows through it as well as through q. The working model is trained with `L_cal(z_work, z_knowledge)`
 * and the knowledge model with `L_cal(z_knowledge, z_work)`, each from the other's outputs of the same step (the
 * trainer's mutual step hands them as `Step.peer`, detached).
 * @since 0.4.0
 */
import { type Step, Term } from "@reidfx/metric"
import { type Embeddings, type Labels, type Logits, ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema } from "effect"
import { detach } from "../Gradient.ts"
import { decoder, numberWithDefault, positive } from "../internal/options.ts"
import { embeddingOf, fromPeer, logitsOf, type TermFields } from "../internal/term.ts"

/** Options of the soft triplet (default m = 0.3, the authors' `--margin`). @since 0.4.0 */
export const SoftTripletOptions = Schema.Struct({
  /** m: the weight of the positive's log-probability (`SoftTripletLoss(margin=...)`); in (0, 1). Default 0.3. */
  margin: numberWithDefault(0.3, Schema.isBetween({ minimum: 0, maximum: 1 }))
})
/** The soft-triplet options as written in code or a file, before defaults are applied. */
export type SoftTripletOptionsInput = typeof SoftTripletOptions.Encoded
/** Decodes the soft triplet's options. @since 0.4.0 */
export const decodeSoftTriplet = decoder(SoftTripletOptions, "krkcSoftTriplet")

/** Options of the calibration (default T = 2, the authors' `self.T`). @since 0.4.0 */
export const CalibrationOptions = Schema.Struct({
  /** T: the temperature. Default 2. */
  temperature: positive(2)
})
/** The calibration options as written in code or a file, before defaults are applied. */
export type CalibrationOptionsInput = typeof CalibrationOptions.Encoded
/** Decodes the calibration's options. @since 0.4.0 */
export const decodeCalibration = decoder(CalibrationOptions, "krkcCalibration")

/**
 * The soft triplet of a batch of features `[B, D]` and labels `[B]` (see the module doc).
 * @category math
 * @since 0.4.0
 */
export const softTriplet = (features: Embeddings, labels: Labels, options: SoftTripletOptionsInput = {}): tf.Scalar => {
  const { margin } = decodeSoftTriplet(options)
  if (labels.shape[0] !== features.shape[0]) {
    throw new ShapeMismatch({
      what: "krkcSoftTriplet: labels (one per feature row)",
      expected: [features.shape[0]],
      actual: [labels.shape[0]]
    })
  }
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(features), 1, true)
    const d2 = tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(2, tf.matMul(features, features, false, true)))
    const dist = tf.sqrt(tf.maximum(d2, 1e-12))
    const column = tf.reshape(labels, [-1, 1])
    const same = tf.equal(column, tf.reshape(labels, [1, -1]))
    const ap = tf.max(tf.where(same, dist, tf.fill(dist.shape, Number.NEGATIVE_INFINITY)), 1)
    const an = tf.min(tf.where(same, tf.fill(dist.shape, Number.POSITIVE_INFINITY), dist), 1)
    const logp = tf.logSoftmax(tf.stack([ap, an], 1) as tf.Tensor2D)
    const [lap, lan] = tf.split(logp, 2, 1)
    return tf.mean(tf.add(tf.mul(-margin, lap!), tf.mul(-(1 - margin), lan!))) as tf.Scalar
  })
}

/** `sum_j p_j (log p_j - q_j)` averaged over rows (`F.kl_div(q, p, reduction="batchmean")`, p > 0). */
const klBatchmean = (logQ: tf.Tensor2D, p: tf.Tensor2D, logP: tf.Tensor2D): tf.Scalar =>
  tf.div(tf.sum(tf.mul(p, tf.sub(logP, logQ))), logQ.shape[0]) as tf.Scalar

/**
 * The calibration of a learner's logits `own` `[B, C]` towards the other learner's `other` (detached here).
 * @category math
 * @since 0.4.0
 */
export const calibration = (own: Logits, other: Logits, options: CalibrationOptionsInput = {}): tf.Scalar => {
  const { temperature: t } = decodeCalibration(options)
  if (own.shape[0] !== other.shape[0] || own.shape[1] !== other.shape[1]) {
    throw new ShapeMismatch({
      what: "krkcCalibration: the other learner's logits (same batch and classes)",
      expected: [own.shape[0], own.shape[1]],
      actual: [other.shape[0], other.shape[1]]
    })
  }
  return tf.tidy(() => {
    const fixed = detach(other) as tf.Tensor2D
    const logQ = tf.logSoftmax(tf.div(tf.add(own, fixed), 2 * t)) as tf.Tensor2D
    const logPOther = tf.logSoftmax(tf.div(fixed, t)) as tf.Tensor2D
    const logPOwn = tf.logSoftmax(tf.div(own, t)) as tf.Tensor2D
    const a = klBatchmean(logQ, tf.exp(logPOther) as tf.Tensor2D, logPOther)
    const b = klBatchmean(logQ, tf.exp(logPOwn) as tf.Tensor2D, logPOwn)
    return tf.mul(0.5 * t * t, tf.add(a, b)) as tf.Scalar
  })
}

/**
 * The soft triplet as a Term on the step's `features` (default; `embedding` picks another). @category constructors
 * @since 0.4.0
 */
export const krkcSoftTriplet = (options: SoftTripletOptionsInput & TermFields = {}): Term.Term<never> => {
  const { weight, embedding, ...rest } = options
  const o = decodeSoftTriplet(rest)
  return Term.make(
    "krkcSoftTriplet",
    o,
    (step: Step) => ({
      loss: softTriplet(embeddingOf(step.outputs, "krkcSoftTriplet", "the model's", embedding), step.labels, o),
      stats: {}
    }),
    weight ?? 1
  )
}

/**
 * The calibration as a Term: the step's logits against the mutual peer's (`Step.peer`, set by the trainer's
 * two-learner step; a step without one is a `MissingOutput`). @category constructors
 * @since 0.4.0
 */
export const krkcCalibration = (
  options: CalibrationOptionsInput & Pick<TermFields, "weight"> = {}
): Term.Term<never> => {
  const { weight, ...rest } = options
  const o = decodeCalibration(rest)
  return fromPeer("krkcCalibration", { ...o, from: "peer" }, weight, Effect.void, (step, peer) => ({
    loss: calibration(
      logitsOf(step.outputs, "krkcCalibration", "the model's"),
      logitsOf(peer, "krkcCalibration", "the peer's"),
      o
    ),
    stats: {}
  }))
}
