/**
 * DwPP, distillation with positive pairs (the baseline of Wang et al., "Positive Pair Distillation Considered
 * Harmful", BMVC 2022): for each query of an episode, the prototype softmax over all the episode's classes C of
 * the old and of the new model,
 *
 *     g_c(x) = exp(-d(f(x), u_c))^(1/T) / sum_{c' in C} exp(-d(f(x), u_c'))^(1/T)
 *     L_DwPP = 1/|Q| sum_{x in Q} KL(g^old(x) || g^new(x))
 *
 * with each model's own prototypes `u_c` (support means). Shared math: `PrototypeDistillation`.
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
export const decode = decoder(Options, "dwpp")

/**
 * L_DwPP between the new model's and the old model's embeddings (`[ways * (shots + queries), D]`) of one
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
    { ...decode(options), positivePair: "with" },
    "dwpp"
  )

/**
 * DwPP as a Term: distils the {@link OldModel} (or another source) into the model trained on episodic batches.
 * `Term<OldModel>` by default.
 * @category constructors
 * @since 0.1.0
 */
export const dwpp = <R = OldModel>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  return PrototypeDistillation.term(
    "dwpp",
    { ...decode(rest), positivePair: "with" },
    { ...(weight === undefined ? {} : { weight }), ...(embedding === undefined ? {} : { embedding }) },
    source ?? (Source.oldModel as Source.Source<never>)
  )
}
