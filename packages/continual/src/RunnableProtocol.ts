/**
 * What the engine reads of a protocol: its name, the stages run on every task, when evaluate stages measure, the
 * mid-task checkpoint interval, the methods to compare and the seeds. A recipe's protocol (`@reidfx/reid`'s
 * lifelong ReID `Protocol`, ...) is a `RunnableProtocol` with more fields (its data, model, training and methods'
 * vocabulary); the engine never reads those, the recipe's `Methods` and `Learner` services do.
 * @since 0.1.0
 */
import { ConfigFields } from "@reidfx/tensor"
import { Schema } from "effect"

/** Train the current model on the current task with the method's objective. @category models */
export const TrainStageSpec = Schema.Struct({ kind: Schema.Literal("train") })
/** Freeze a copy of the model: the next task's old model. @category models */
export const SnapshotStageSpec = Schema.Struct({ kind: Schema.Literal("snapshot") })
/** Evaluate on every seen task's test set and the unseen test set (when the schedule says so). @category models */
export const EvaluateStageSpec = Schema.Struct({ kind: Schema.Literal("evaluate") })
/** A user-defined stage, registered by name when the protocol is run. @category models */
export const CustomStageSpec = Schema.Struct({
  kind: Schema.Literal("custom"),
  name: Schema.NonEmptyString,
  options: ConfigFields.withDefault(Schema.Record(Schema.String, Schema.Unknown), {})
})
/** One stage of a task. @category models */
export const StageSpec = Schema.Union([TrainStageSpec, SnapshotStageSpec, EvaluateStageSpec, CustomStageSpec])
export type StageSpec = typeof StageSpec.Type

/** When evaluate stages measure: after which tasks (0-based), and whether the untrained model is measured first. */
export interface EvaluationSchedule {
  readonly after: "everyTask" | "lastTask" | ReadonlyArray<number>
  readonly initial: boolean
}

/** The part of a protocol the engine runs (see the module's description). @category models */
export interface RunnableProtocol {
  readonly name: string
  readonly description?: string | undefined
  readonly stages: ReadonlyArray<StageSpec>
  readonly evaluation: EvaluationSchedule
  /** A train stage writes a checkpoint every this many optimizer steps in a run folder (0: at epoch ends only). */
  readonly training: { readonly checkpointEverySteps: number }
  /** The methods as the protocol names or declares them; the recipe's `Methods.resolve` reads them. */
  readonly methods: ReadonlyArray<unknown>
  readonly seeds: ReadonlyArray<number>
}

/** What the engine reads of a resolved method: its name (run folders, ledger) and whether it trains jointly. */
export interface RunnableMethod {
  readonly name: string
  /** Trains once on the union of every task (the upper bound) instead of task after task. */
  readonly joint: boolean
}
