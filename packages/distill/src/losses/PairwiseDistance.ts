/**
 * Pairwise distance transfer (MDKT's L_PD, Wang, Wang & Li, "Image-to-Video Re-Identification via Mutual
 * Discriminative Knowledge Transfer", 2022): the student's batch distance matrix matches the teacher's,
 *
 *     L_PD = sum_{(i, j), i < j} (D_t[i, j] - D_s[i, j])^2        (reduction "sum", the paper's)
 *     L_PD = 1 / (B (B - 1) / 2) * the same sum                    (reduction "mean")
 *
 * over the B(B-1)/2 unordered pairs of the batch (the diagonal is 0 in both). The teacher's distances are the
 * target (detached). 0 exactly when the two matrices agree.
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { upperPairs } from "../internal/math.ts"
import { booleanWithDefault, decoder, distanceField, literalWithDefault, shown } from "../internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "../internal/term.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** Options (defaults: euclidean, summed over pairs, as MDKT). @since 0.1.0 */
export const Options = Schema.Struct({
  /** The distance of both matrices. Default euclidean. */
  distance: distanceField("euclidean"),
  /** L2-normalise both models' embeddings before the distances (removes the models' scale difference). Default false. */
  normalize: booleanWithDefault(false),
  /** `sum` over pairs (MDKT, default) or `mean` over pairs (independent of the batch size). */
  reduction: literalWithDefault(["sum", "mean"], "sum")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `pairwiseDistance` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "pairwiseDistance")

/**
 * L_PD from two `[B, B]` distance matrices (the teacher's is the target, detached).
 * @category math
 * @since 0.1.0
 */
export const fromDistances = (student: tf.Tensor2D, teacher: tf.Tensor2D, reduction: Options["reduction"]): tf.Scalar =>
  tf.tidy(() => {
    const n = student.shape[0]
    const pairs = upperPairs(n)
    const total = tf.sum(tf.mul(tf.square(tf.sub(detach(teacher), student)), pairs)) as tf.Scalar
    return reduction === "sum" ? total : (tf.div(total, Math.max(1, (n * (n - 1)) / 2)) as tf.Scalar)
  })

/**
 * L_PD between student and teacher embeddings of the same batch (`[B, D_s]`, `[B, D_t]`: the dimensions may differ).
 * @category math
 * @since 0.1.0
 */
export const loss = (student: Embeddings, teacher: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("pairwiseDistance", [
    [student, ["batch", null], "student embeddings"],
    [teacher, ["batch", null], "teacher embeddings"]
  ])
  return Loss.tidyLoss(() => {
    const distance = Distance.make(o.distance, { normalize: o.normalize })
    return { loss: fromDistances(distance.matrix(student), distance.matrix(teacher), o.reduction), stats: {} }
  })
}

/**
 * Pairwise distance transfer as a Term: the {@link Teacher}'s (or another source's) distances are the target.
 * `Term<Teacher>` by default; `pairwiseDistance({}, Source.peer)` distils from the mutual peer.
 * @category constructors
 * @since 0.1.0
 */
export const pairwiseDistance = <R = Teacher>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource(
    "pairwiseDistance",
    shown(o),
    weight,
    source ?? (Source.teacher as Source.Source<never>),
    (step, target) =>
      loss(
        embeddingOf(step.outputs, "pairwiseDistance", "the student's", embedding),
        embeddingOf(target, "pairwiseDistance", "the teacher's", embedding),
        o
      )
  )
}
