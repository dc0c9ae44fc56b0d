/**
 * Triplet contrast loss (MDKT's TCL, Wang, Wang & Li, "Image-to-Video Re-Identification via Mutual
 * Discriminative Knowledge Transfer", 2022): for each triplet (a, p, n), the two-way distribution of which of
 * the two distances is smaller, softened by tau_2,
 *
 *     p_apn = exp(-d_ap / tau_2) / (exp(-d_ap / tau_2) + exp(-d_an / tau_2)),   P_apn = [p_apn, 1 - p_apn]
 *     L_TCL = sum_{(a, p, n)} KL(P^t_apn || P^s_apn)
 *
 * computed in log space (`log p_apn = logSigmoid((d_an - d_ap) / tau_2)`: no overflow, no log 0). Triplets are
 * mined batch-hard (hardest positive, hardest negative per anchor; Hermans et al. 2017) from the teacher's or the
 * student's distances (`mineFrom`). The teacher's distances are the target (detached).
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, type Labels, Tensor } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { binaryKL } from "../internal/math.ts"
import { booleanWithDefault, decoder, distanceField, literalWithDefault, positive, shown } from "../internal/options.ts"
import { embeddingOf, fromSource, type TermFields } from "../internal/term.ts"
import { mineHard, tripletLogits } from "../internal/triplets.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** Options (defaults: tau_2 = 1, euclidean, mined from the teacher, summed as MDKT's eq. 4). @since 0.1.0 */
export const Options = Schema.Struct({
  /** tau_2: the temperature of the two-way distribution. Default 1. */
  temperature: positive(1),
  /** Whose distances the hard triplets are mined from. Default `teacher`. */
  mineFrom: literalWithDefault(["teacher", "student"], "teacher"),
  /** The distance. Default euclidean. */
  distance: distanceField("euclidean"),
  /** L2-normalise both models' embeddings before the distances (removes the models' scale difference). Default false. */
  normalize: booleanWithDefault(false),
  /** `sum` over triplets (MDKT, default) or `mean`. */
  reduction: literalWithDefault(["sum", "mean"], "sum")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `tripletContrast` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "tripletContrast")

/**
 * L_TCL from two `[B, B]` distance matrices of the same batch and its labels.
 * @category math
 * @since 0.1.0
 */
export const fromDistances = (
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  labels: Int32Array,
  options: Options
): Loss.LossValue =>
  Loss.tidyLoss(() => {
    const target = detach(teacher)
    const triplets = mineHard(options.mineFrom === "teacher" ? target : student, labels)
    const kl = binaryKL(
      tripletLogits(target, triplets, options.temperature),
      tripletLogits(student, triplets, options.temperature)
    )
    return {
      loss: Loss.reduce(kl, options.reduction),
      stats: Loss.stats({ triplets: triplets.anchors.length, skipped: triplets.skipped })
    }
  })

/**
 * L_TCL between student and teacher embeddings of the same batch (`[B, D_s]`, `[B, D_t]`) with labels `[B]`.
 * @category math
 * @since 0.1.0
 */
export const loss = (
  student: Embeddings,
  teacher: Embeddings,
  labels: Labels,
  options: OptionsInput = {}
): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("tripletContrast", [
    [student, ["batch", null], "student embeddings"],
    [teacher, ["batch", null], "teacher embeddings"],
    [labels, ["batch"], "labels"]
  ])
  return Loss.tidyLoss(() => {
    const distance = Distance.make(o.distance, { normalize: o.normalize })
    return fromDistances(distance.matrix(student), distance.matrix(teacher), Int32Array.from(labels.dataSync()), o)
  })
}

/**
 * TCL as a Term: the {@link Teacher}'s (or another source's) triplet distributions are the target.
 * `Term<Teacher>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const tripletContrast = <R = Teacher>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource(
    "tripletContrast",
    shown(o),
    weight,
    source ?? (Source.teacher as Source.Source<never>),
    (step, target) =>
      loss(
        embeddingOf(step.outputs, "tripletContrast", "the student's", embedding),
        embeddingOf(target, "tripletContrast", "the teacher's", embedding),
        step.labels,
        o
      )
  )
}
