/**
 * DwoPP, distillation without positive pairs (Wang et al., "Positive Pair Distillation Considered Harmful:
 * Continual Meta Metric Learning for Lifelong Object Re-Identification", BMVC 2022): as DwPP, but each query's
 * prototype softmax is normalised over the episode's classes without its own label class y,
 *
 *     g'_c(x) = exp(-d(f(x), u_c))^(1/T) / sum_{c' in C \ {y}} exp(-d(f(x), u_c'))^(1/T),   c != y
 *     L_DwoPP = 1/|Q| sum_{x in Q} sum_{c != y} g'^old_c(x) (log g'^old_c(x) - log g'^new_c(x))
 *
 * so only negative-pair relations are distilled: the old model, which never saw class y, cannot pull the query
 * away from its positive prototype. Value and gradient are independent of d(f(x), u_y). With 2 ways each query
 * has one class left and the loss is 0. Shared math: `PrototypeDistillation`.
 * @since 0.1.0
 */
import type { EpisodeLayout, Loss, Term } from "@reidfx/metric"
import type { Embeddings } from "@reidfx/tensor"
import { Schema } from "effect"
import { decoder, distanceField, positive } from "../internal/options.ts"
import type { TermFields } from "../internal/term.ts"
import type { OldModel } from "../OldModel.ts"
import * as PrototypeDistillation from "../PrototypeDistillation.ts"
import * as Source from "../Source.ts"

/** Options (defaults: T = 1, squared euclidean, as the authors' code). @since 0.1.0 */
export const Options = Schema.Struct({
  temperature: positive(1),
  distance: distanceField("squaredEuclidean"),
  /** The authors' smoothing eps (see `PrototypeDistillation`); default none. */
  smoothing: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
  /** The authors' probability floor inside the KL (see `PrototypeDistillation`); default none (the exact KL). */
  clamp: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThan(1)))
})
export type Options = typeof Options.Type
/** The options as written in code or a file, before defaults are applied. */
export type OptionsInput = typeof Options.Encoded
/** Decodes options (defaults filled, unknown keys rejected with the allowed ones). */
export const decode = decoder(Options, "dwopp")

/**
 * L_DwoPP between the new model's and the old model's embeddings (`[ways * (shots + queries), D]`) of one
 * episode (ways >= 2). The old embeddings are the target (detached).
 * @category math
 * @since 0.1.0
 */
export const loss = (
  newEmbeddings: Embeddings,
  oldEmbeddings: Embeddings,
  episode: EpisodeLayout,
  options: OptionsInput = {}
): Loss.LossValue =>
  PrototypeDistillation.loss(
    newEmbeddings,
    oldEmbeddings,
    episode,
    { ...decode(options), positivePair: "without" },
    "dwopp"
  )

/**
 * DwoPP as a Term: distils the {@link OldModel} (or another source) into the model trained on episodic batches.
 * `Term<OldModel>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const dwopp = <R = OldModel>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  return PrototypeDistillation.term(
    "dwopp",
    { ...decode(rest), positivePair: "without" },
    { ...(weight === undefined ? {} : { weight }), ...(embedding === undefined ? {} : { embedding }) },
    source ?? (Source.oldModel as Source.Source<never>)
  )
}
