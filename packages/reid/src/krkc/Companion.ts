/**
 * A method's companion network: a second trainable model that a strategy owns during a task and trains in the
 * same optimizer step as the model, each with its own objective, optimizer and learning rate, each reading the
 * other's outputs of the step (detached) through `Step.peer` (the trainer's two-learner step, `@reidfx/train`
 * `Trainer.computeStep`). It is a resource of the task's scope: created at the task's start, written into the
 * task's mid-task checkpoint with the model (by the trainer, learner `companion`), fused into the model at the
 * task's end and released with the task.
 *
 * The one kind is KRKC's knowledge network (Yu, Ye, Zhou, Zheng & Cheng, "Lifelong Person Re-identification via
 * Knowledge Refreshing and Consolidation", AAAI 2023), as the authors' `continual_train.py` runs it
 * (cly234/LReID-KRKC, commit b5c38d6):
 *
 * - from the second task on, at the task's start (after the classifier grew) the companion is a copy of the model
 *   (`old_model = copy.deepcopy(model)`), trained with its own Adam at `0.1 x` the learning rate (`0.01 x` on the
 *   last task), same weight decay;
 * - at the end of task t (1-based, t >= 2) but the last, the model becomes
 *   `theta <- alpha theta + (1 - alpha) theta_companion` with `alpha = 1 / t` (1/2, then 1/3: "model space
 *   consolidation"), every tensor (BN statistics and classifier included); after the last task the model is
 *   kept as trained.
 * @since 0.4.0
 */
import { Schema } from "effect"
import type { Protocol } from "../Protocol.ts"
import { Positive, withDefault } from "../ProtocolFields.ts"

/** `companion: { kind: krkc, learningRate, lastTaskLearningRate }` in a method. @category models */
export const CompanionSpec = Schema.Struct({
  kind: Schema.Literal("krkc"),
  /** The companion's learning rate as a multiple of the model's (the authors: 0.1). */
  learningRate: withDefault(Positive, 0.1),
  /** The same on the last task (the authors: 0.01). */
  lastTaskLearningRate: withDefault(Positive, 0.01)
})
export type CompanionSpec = typeof CompanionSpec.Type

/** The number of tasks of a protocol's split. @category math */
export const taskCount = (protocol: Protocol): number => {
  const split = protocol.data.split
  return split.kind === "interDomain" ? split.sequence.length : split.tasks
}

/** The companion's learning-rate factor on task `task` (0-based) of `tasks`. @category math */
export const learningRateFactor = (spec: CompanionSpec, task: number, tasks: number): number =>
  task === tasks - 1 ? spec.lastTaskLearningRate : spec.learningRate

/**
 * The weight alpha of the model in the fusion after task `task` (0-based) of `tasks`: `1 / (task + 1)` from the
 * second task to the one before the last, none (undefined) after the first and the last. @category math
 */
export const fusionWeight = (task: number, tasks: number): number | undefined =>
  task >= 1 && task < tasks - 1 ? 1 / (task + 1) : undefined
