/**
 * RKD angle-wise loss (Park, Kim, Lu & Cho, "Relational Knowledge Distillation", CVPR 2019): the cosines of the
 * angles formed by every triplet of the batch match between student and teacher under the Huber loss,
 *
 *     psi_A(x_i, x_j, x_k) = <e_ij, e_kj>,   e_ij = (x_i - x_j) / ||x_i - x_j||
 *     L_RKD-A = 1/B^3 sum_{i, j, k} l_1(psi_A(s_i, s_j, s_k) - psi_A(t_i, t_j, t_k)),   l_1 = smooth L1 (delta = 1)
 *
 * averaged over all B^3 ordered triplets as the authors' code does (degenerate triplets with a repeated index
 * have a zero edge vector, normalised to 0, so they contribute 0 - 0). The teacher's angles are the target
 * (detached). Computed from Gram matrices ({@link angles}): O(B^2 D + B^3) time, O(B^3) memory. The paper weights
 * it by 50 (classification) or 2 (metric learning).
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach, untaped } from "../Gradient.ts"
import { smoothL1 } from "../internal/math.ts"
import { decoder } from "../internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "../internal/term.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** No options: the paper fixes the Huber threshold (1). @since 0.1.0 */
export const Options = Schema.Struct({})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `rkdAngle` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "rkdAngle")

/**
 * Edges with `d^2 < edgeTolerance * spread^2` (spread^2: the mean squared norm of the centred embeddings) count as
 * zero: below it the Gram form's float32 round-off dominates (duplicates come out at ~1e-7 spread^2 instead of 0).
 */
const edgeTolerance = 1e-5

/**
 * `[B, B, B]` cosines `angles[j, i, k] = <x_i - x_j, x_k - x_j> / (||x_i - x_j|| ||x_k - x_j||)` of the angle at
 * vertex j, from the Gram matrix `G = X X^T` (`<x_i - x_j, x_k - x_j> = G_ik - G_ij - G_jk + G_jj`), in
 * O(B^2 D + B^3) instead of the O(B^3 D) of materialising the `[B, B, D]` edge vectors. The embeddings are centred
 * first (angles are translation invariant), which keeps the expansion's round-off small: a cosine's error is about
 * 1e-7 spread^2 / (d_ij d_kj). Angles with an edge shorter than ~0.3% of the spread (`d^2 < 1e-5 spread^2`, which
 * includes repeated points) are 0, with zero gradient, as the authors' `F.normalize` of a zero edge.
 * @category math
 * @since 0.1.0
 */
export const angles = (embeddings: Embeddings): tf.Tensor3D =>
  tf.tidy(() => {
    const n = embeddings.shape[0]
    const x = tf.sub(embeddings, tf.mean(embeddings, 0, true)) as tf.Tensor2D
    const norms = tf.sum(tf.mul(x, x), 1)
    const gram = tf.matMul(x, tf.transpose(x)) as tf.Tensor2D
    const dot = tf.add(
      tf.sub(tf.sub(tf.expandDims(gram, 0), tf.expandDims(gram, 2)), tf.expandDims(gram, 1)),
      tf.reshape(norms, [n, 1, 1])
    )
    const d = Distance.euclidean.matrix(x)
    const valid = untaped(() => {
      const edge = tf.step(tf.sub(tf.square(d), tf.mul(tf.mean(norms), edgeTolerance))) // [j, i]
      return tf.mul(tf.expandDims(edge, 2), tf.expandDims(edge, 1)) // [j, i, k]
    })
    const lengths = tf.mul(tf.expandDims(d, 2), tf.expandDims(d, 1)) // d_ji d_jk
    const safe = tf.add(tf.mul(lengths, valid), tf.sub(1, valid))
    return tf.div(tf.mul(dot, valid), safe) as tf.Tensor3D
  })

/**
 * L_RKD-A between student and teacher embeddings of the same batch (`[B, D_s]`, `[B, D_t]`).
 * @category math
 * @since 0.1.0
 */
export const loss = (student: Embeddings, teacher: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  decode(options)
  Tensor.assertShapes("rkdAngle", [
    [student, ["batch", null], "student embeddings"],
    [teacher, ["batch", null], "teacher embeddings"]
  ])
  return Loss.tidyLoss(() => ({
    loss: tf.mean(smoothL1(tf.sub(angles(student), angles(detach(teacher))))) as tf.Scalar,
    stats: {}
  }))
}

/**
 * RKD-A as a Term: the {@link Teacher}'s (or another source's) angle relations are the target. `Term<Teacher>`.
 * @category constructors
 * @since 0.1.0
 */
export const rkdAngle = <R = Teacher>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource("rkdAngle", o, weight, source ?? (Source.teacher as Source.Source<never>), (step, target) =>
    loss(
      embeddingOf(step.outputs, "rkdAngle", "the student's", embedding),
      embeddingOf(target, "rkdAngle", "the teacher's", embedding),
      o
    )
  )
}
