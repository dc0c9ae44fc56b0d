/**
 * Stages: what runs on every task, in the order the protocol declares. The built-in stages are `train`
 * (train the model on the current task with the method's objective), `snapshot` (freeze a copy of the model
 * as the next task's old model), `evaluate` (measure every seen task's test set and the unseen test set), and
 * any user-defined stage made with {@link make}.
 *
 * A stage sees the task through a {@link StageContext}: the current task's data (a scoped resource, closed when
 * the task ends), the model, and the old model if a snapshot was taken. It returns a {@link StageOutcome}
 * that the runner records (and persists, so an interrupted protocol resumes after the last completed stage).
 * @since 0.1.0
 */
import type { Effect, Option } from "effect"
import type { TaskInfo } from "./Benchmark.ts"
import type { FrozenModel, ModelHandle, TrainSummary } from "./Learner.ts"
import type { Cell } from "./Ledger.ts"
import type { RunnableMethod, RunnableProtocol, StageSpec } from "./RunnableProtocol.ts"
import type { TaskData } from "./TaskData.ts"

/** What a stage sees. */
export interface StageContext<Protocol = RunnableProtocol, Method = RunnableMethod> {
  readonly protocol: Protocol
  readonly method: Method
  readonly seed: number
  /** The current task (for a joint method: the union of every task). */
  readonly task: TaskInfo
  /** The task's training data; reading it after the task has ended fails with `TaskDataClosed`. */
  readonly data: TaskData<unknown>
  readonly model: ModelHandle
  /** The frozen model of the last snapshot, if any. */
  readonly oldModel: Option.Option<FrozenModel>
  /** The stage's position in the protocol's list. */
  readonly stageIndex: number
  /** The options of a custom stage (from the protocol file). */
  readonly options: Readonly<Record<string, unknown>>
}

/** What a stage produced. */
export type StageOutcome =
  | { readonly _tag: "Trained"; readonly summary: TrainSummary }
  | { readonly _tag: "Snapshot" }
  | { readonly _tag: "Evaluated"; readonly cells: ReadonlyArray<Cell> }
  | { readonly _tag: "Skipped"; readonly reason: string }
  | { readonly _tag: "Custom"; readonly value: unknown }

/** A user-defined stage: a name and an Effect of the context returning a JSON-serialisable value. */
export interface CustomStage<E = never, R = never> {
  readonly _tag: "CustomStage"
  readonly name: string
  /** The stage's work, run once per task with the task's context (its data, models and ledger). */
  readonly run: (context: StageContext) => Effect.Effect<unknown, E, R>
}

/**
 * A user-defined stage. Register it when running a protocol (`Runner.run(protocol, { stages: { name: stage } })`)
 * and declare it in the protocol as `{ kind: custom, name }`. Its value is persisted with the run (keep it
 * JSON-serialisable). @category constructors
 */
export const make = <E, R>(
  name: string,
  run: (context: StageContext) => Effect.Effect<unknown, E, R>
): CustomStage<E, R> => ({
  _tag: "CustomStage",
  name,
  run
})

/** The built-in stages, as protocol values. @category constructors */
export const train: StageSpec = { kind: "train" }
/** @category constructors */
export const snapshot: StageSpec = { kind: "snapshot" }
/** @category constructors */
export const evaluate: StageSpec = { kind: "evaluate" }
/** A custom stage of the protocol, by registered name. @category constructors */
export const custom = (name: string, options: Readonly<Record<string, unknown>> = {}): StageSpec => ({
  kind: "custom",
  name,
  options: { ...options }
})

/** The key a stage's result is stored under: `task-2/1-evaluate`, `init/evaluate`. */
export const key = (task: number | "init", index: number, spec: StageSpec): string =>
  task === "init"
    ? "init/evaluate"
    : `task-${task}/${index}-${spec.kind === "custom" ? `custom-${spec.name}` : spec.kind}`

/** Whether the evaluation schedule measures after a task. */
export const evaluatesAfter = (protocol: RunnableProtocol, task: number, lastTask: number): boolean => {
  const after = protocol.evaluation.after
  if (after === "everyTask") return true
  if (after === "lastTask") return task === lastTask
  return after.includes(task) || task === lastTask
}
