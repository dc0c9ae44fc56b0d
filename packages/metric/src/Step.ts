/**
 * What a loss term may read during one training step: the model's outputs for the batch, the labels, the
 * cameras, the inputs (so a teacher can run on them), the episode layout of episodic batches, and the
 * outputs of a mutual peer. The contracts live at the bottom of the stack (`@reidfx/tensor`, so that
 * `@reidfx/model` speaks them without importing this package); re-exported here under their usual names.
 * @since 0.1.0
 */
export type { EpisodeLayout, ModelOutputs, Step, TermValue } from "@reidfx/tensor"
