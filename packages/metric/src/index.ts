/**
 * @reidfx/metric: distances, losses, miners and the Objective they compose into.
 * @since 0.1.0
 */
export * as Objective from "./Objective.ts"
export type { EpisodeLayout, ModelOutputs, Step, TermValue } from "./Step.ts"
export * as Term from "./Term.ts"
