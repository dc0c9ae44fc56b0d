/**
 * RKD distance-wise loss (Park, Kim, Lu & Cho, "Relational Knowledge Distillation", CVPR 2019): the student's
 * pairwise distances, each normalised by the batch's mean distance, match the teacher's under the Huber loss,
 *
 *     psi_D(x_i, x_j) = ||x_i - x_j|| / mu,   mu = mean_{i != j} ||x_i - x_j||
 *     L_RKD-D = 1/B^2 sum_{i, j} l_1(psi_D(s_i, s_j) - psi_D(t_i, t_j)),   l_1 = smooth L1 (Huber, delta = 1)
 *
 * averaged over all B^2 ordered pairs as the authors' code does (the diagonal, 0 in both, counts in the mean).
 * The teacher's relations are the target (detached); the student's mean mu carries gradient, as in the
 * authors' code. The paper weights it by 25 (classification) or 1 (metric learning): set the term's weight.
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { smoothL1 } from "../internal/math.ts"
import { decoder } from "../internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "../internal/term.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** No options: the paper fixes the distance (euclidean) and the Huber threshold (1). @since 0.1.0 */
export const Options = Schema.Struct({})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `rkdDistance` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "rkdDistance")

/** `[B, B]` euclidean distances divided by their mean over `i != j` (0 for a batch of identical points). @category math @since 0.1.0 */
export const normalizedDistances = (x: Embeddings): tf.Tensor2D =>
  tf.tidy(() => {
    const n = x.shape[0]
    const d = Distance.euclidean.matrix(x)
    const mu = tf.div(tf.sum(d), Math.max(1, n * (n - 1)))
    return tf.div(d, tf.maximum(mu, 1e-12)) as tf.Tensor2D
  })

/**
 * L_RKD-D between student and teacher embeddings of the same batch (`[B, D_s]`, `[B, D_t]`).
 * @category math
 * @since 0.1.0
 */
export const loss = (student: Embeddings, teacher: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  decode(options)
  Tensor.assertShapes("rkdDistance", [
    [student, ["batch", null], "student embeddings"],
    [teacher, ["batch", null], "teacher embeddings"]
  ])
  return Loss.tidyLoss(() => {
    const diff = tf.sub(normalizedDistances(student), normalizedDistances(detach(teacher)))
    return { loss: tf.mean(smoothL1(diff)) as tf.Scalar, stats: {} }
  })
}

/**
 * RKD-D as a Term: the {@link Teacher}'s (or another source's) distance relations are the target. `Term<Teacher>`.
 * @category constructors
 * @since 0.1.0
 */
export const rkdDistance = <R = Teacher>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource("rkdDistance", o, weight, source ?? (Source.teacher as Source.Source<never>), (step, target) =>
    loss(
      embeddingOf(step.outputs, "rkdDistance", "the student's", embedding),
      embeddingOf(target, "rkdDistance", "the teacher's", embedding),
      o
    )
  )
}
