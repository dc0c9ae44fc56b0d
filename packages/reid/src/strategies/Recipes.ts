/**
 * The pieces the built-in strategies share: their samplers and the objectives they start from, each value pinned
 * by a test citing the file it comes from.
 * @since 0.3.0
 */
import type { SamplerSpec, TermSpec } from "../Protocol.ts"

/** PK 16 x 4, the "bag of tricks" sampler. */
export const pk: SamplerSpec = { kind: "pk", identities: 16, instances: 4 }
/** Episodic 16-way 3-shot 1-query (see docs/lifelong.md, "Deviations"). */
export const episodic: SamplerSpec = { kind: "episodic", ways: 16, shots: 3, queries: 1 }

/** The strong baseline's objective ("bag of tricks", Luo et al. 2019): CE with label smoothing + batch-hard triplet. */
export const botTerms: ReadonlyArray<TermSpec> = [
  { loss: "crossEntropy", labelSmoothing: 0.1, weight: 1 },
  { loss: "tripletBatchHard", margin: 0.3, weight: 1 }
]
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
