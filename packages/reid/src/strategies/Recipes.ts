/**
 * The pieces the built-in strategies share: their samplers and the objectives they start from, each value pinned
 * by a test citing the file it comes from.
 * @since 0.3.0
 */
import type { SamplerSpec, TermSpec } from "../Protocol.ts"
import { NonNegative, Probability, withDefault } from "../ProtocolFields.ts"

/** PK 16 x 4, the "bag of tricks" sampler. */
export const pk: SamplerSpec = { kind: "pk", identities: 16, instances: 4 }
/** Episodic 16-way 3-shot 1-query (see docs/lifelong.md, "Deviations"). */
export const episodic: SamplerSpec = { kind: "episodic", ways: 16, shots: 3, queries: 1 }

/**
 * The options of the strategies built on the strong baseline's objective: the label smoothing epsilon of its
 * cross-entropy (0.1) and the margin of its batch-hard triplet (0.3).
 */
export const botOptions = {
  labelSmoothing: withDefault(Probability, 0.1),
  margin: withDefault(NonNegative, 0.3)
}

/** The strong baseline's objective with these options. */
export const botTermsWith = (options: {
  readonly labelSmoothing: number
  readonly margin: number
}): ReadonlyArray<TermSpec> => [
  { loss: "crossEntropy", labelSmoothing: options.labelSmoothing, weight: 1 },
  { loss: "tripletBatchHard", margin: options.margin, weight: 1 }
]

/** The strong baseline's objective ("bag of tricks", Luo et al. 2019): CE with label smoothing + batch-hard triplet. */
export const botTerms: ReadonlyArray<TermSpec> = botTermsWith({ labelSmoothing: 0.1, margin: 0.3 })
/**
 * DMML as the DwoPP authors run it (wangkai930418/DwoPP_code `loss/dmml.py` with `CL_*.sh`: `--margin=0.4`,
 * `--distance_mode='hard_mining'`, `--dmml_dist_metric euclidean`, where `euclidean_dist` is squared; the loss
 * adds `0.002 * 0.25 * sum |f|^2 / B`).
 */
export const dmmlAuthors: TermSpec = {
  loss: "dmml",
  margin: 0.4,
  marginMode: "clampNegatives",
  mode: "hardMining",
  distance: "squaredEuclidean",
  featureDecay: 0.0005,
  weight: 1
}

/** The options of the strategies built on {@link dmmlAuthors}: its margin (0.4) and feature decay (0.0005). */
export const dmmlOptions = {
  margin: withDefault(NonNegative, 0.4),
  featureDecay: withDefault(NonNegative, 0.0005)
}

/** {@link dmmlAuthors} with these options. */
export const dmmlAuthorsWith = (options: { readonly margin: number; readonly featureDecay: number }): TermSpec => ({
  ...dmmlAuthors,
  margin: options.margin,
  featureDecay: options.featureDecay
})

/**
 * DMML as its official code runs it (CHENGY12/DMML `loss/dmml.py`): hard mining with `cosine_dist`, which is
 * `-x . y`, no margin (the clamp line is commented out), feature decay `0.002 * 0.25`.
 */
export const dmmlOfficial: TermSpec = {
  loss: "dmml",
  margin: 0,
  mode: "hardMining",
  distance: "negativeDot",
  featureDecay: 0.0005,
  weight: 1
}
