/**
 * Logits knowledge distillation (Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015):
 * the student's class distribution, softened by a temperature tau, matches the teacher's,
 *
 *     L_KD = tau^2 * 1/B sum_b KL(softmax(z_t(b) / tau) || softmax(z_s(b) / tau))
 *
 * The tau^2 factor keeps the gradient's scale independent of tau (Hinton et al., section 2). The teacher's logits
 * are the target (detached). Also MDKT's L_KD_t2s (Wang, Wang & Li, "Image-to-Video Re-Identification via Mutual
 * Discriminative Knowledge Transfer", 2022), with tau = tau_1.
 * @since 0.1.0
 */
import { Loss, type Term } from "@reidfx/metric"
import { type Logits, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { klRows, logSoftmaxT } from "../internal/math.ts"
import { decoder, positive } from "../internal/options.ts"
import { fromSource, logitsOf } from "../internal/term.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** Options (default tau = 4, a common choice; Hinton et al. leave it to tuning). @since 0.1.0 */
export const Options = Schema.Struct({
  /** tau: the softmax temperature of both models. Default 4. */
  temperature: positive(4)
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `logitsKD` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "logitsKD")

/**
 * `tau^2 * mean_b KL(p_t || p_s)` for student logits `[B, K]` and teacher logits `[B, K]` (the target, detached).
 * @category math
 * @since 0.1.0
 */
export const loss = (studentLogits: Logits, teacherLogits: Logits, options: OptionsInput = {}): Loss.LossValue => {
  const { temperature } = decode(options)
  Tensor.assertShapes("logitsKD", [
    [studentLogits, ["batch", "classes"], "student logits"],
    [teacherLogits, ["batch", "classes"], "teacher logits"]
  ])
  return Loss.tidyLoss(() => {
    const kl = klRows(logSoftmaxT(detach(teacherLogits), temperature), logSoftmaxT(studentLogits, temperature))
    return { loss: tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar, stats: {} }
  })
}

/**
 * Logits KD as a Term: the {@link Teacher}'s logits on the step's inputs (or another source's) are the target.
 * `Term<Teacher>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const logitsKD = <R = Teacher>(
  options: OptionsInput & { readonly weight?: number } = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return fromSource("logitsKD", o, weight, source ?? (Source.teacher as Source.Source<never>), (step, target) =>
    loss(logitsOf(step.outputs, "logitsKD", "the student's"), logitsOf(target, "logitsKD", "the teacher's"), o)
  )
}
