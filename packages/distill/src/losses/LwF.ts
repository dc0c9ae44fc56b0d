/**
 * LwF, learning without forgetting (Li & Hoiem, "Learning without Forgetting", ECCV 2016 / TPAMI 2017): the new
 * model's classifier scores on the old classes are kept close to the old model's, both softened by a
 * temperature T,
 *
 *     L_LwF = 1/B sum_b KL(softmax(z_old(b) / T) || softmax(z_new(b)[old classes] / T))
 *
 * This is the paper's modified cross-entropy `-sum_k y'_k log y^'_k` minus the old model's entropy, a constant:
 * same gradient, and 0 exactly when the two distributions agree (Avalanche's `LwF` computes the same KL with
 * `batchmean`, without a T^2 factor; set the term's weight to T^2 for Hinton's scaling). The old classes are the
 * `K_old` columns of the new classifier starting at `offset` (a classifier that grows with each task keeps the
 * old classes first).
 * @since 0.1.0
 */
import { Loss, type Term } from "@reidfx/metric"
import { type Logits, ShapeMismatch } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { klRows, logSoftmaxT } from "../internal/math.ts"
import { decoder, numberWithDefault, positive } from "../internal/options.ts"
import { fromSource, logitsOf } from "../internal/term.ts"
import type { OldModel } from "../OldModel.ts"
import * as Source from "../Source.ts"

/** Options (defaults: T = 2, Li & Hoiem; old classes first). @since 0.1.0 */
export const Options = Schema.Struct({
  /** T: softens both distributions. Default 2 (Li & Hoiem). */
  temperature: positive(2),
  /** First column of the old classes in the new model's logits. Default 0. */
  offset: numberWithDefault(0, Schema.isInt()).check(Schema.isGreaterThanOrEqualTo(0))
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `lwf` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "lwf")

/**
 * L_LwF between the new model's logits `[B, K_new]` and the old model's `[B, K_old]` (the target, detached);
 * the old classes are the columns `offset .. offset + K_old - 1` of the new logits.
 * @category math
 * @since 0.1.0
 */
export const loss = (newLogits: Logits, oldLogits: Logits, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  const [batch, oldClasses] = oldLogits.shape
  if (newLogits.rank !== 2 || newLogits.shape[0] !== batch || newLogits.shape[1] < o.offset + oldClasses) {
    throw new ShapeMismatch({
      what: `lwf: new logits (columns ${o.offset}..${o.offset + oldClasses - 1} must hold the old model's ${oldClasses} classes)`,
      expected: [batch, o.offset + oldClasses],
      actual: newLogits.shape
    })
  }
  return Loss.tidyLoss(() => {
    const onOld = tf.slice(newLogits, [0, o.offset], [batch, oldClasses]) as tf.Tensor2D
    const kl = klRows(logSoftmaxT(detach(oldLogits), o.temperature), logSoftmaxT(onOld, o.temperature))
    return { loss: tf.mean(kl) as tf.Scalar, stats: {} }
  })
}

/**
 * LwF as a Term: the {@link OldModel}'s logits on the step's inputs are the target. `Term<OldModel>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const lwf = <R = OldModel>(
  options: OptionsInput & { readonly weight?: number } = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, ...rest } = options
  const o = decode(rest)
  return fromSource("lwf", o, weight, source ?? (Source.oldModel as Source.Source<never>), (step, target) =>
    loss(logitsOf(step.outputs, "lwf", "the model's"), logitsOf(target, "lwf", "the old model's"), o)
  )
}
