/**
 * The benchmark a protocol runs on: its task sequence and its test sets, as a service. The runner opens each
 * task's training data in that task's Scope (see `TaskData`), and opens test sets only to evaluate.
 *
 * The training and test payloads are opaque to the engine (`unknown`): the benchmark and the learner that
 * consumes them are provided together (`ReidLearner` pairs the `@reidfx/data` benchmark with the reidfx
 * trainer), so the engine runs on any pair, including the small fakes of the tests.
 * @since 0.1.0
 */
import { Context, Data, Effect, type Scope } from "effect"

/** One task of the sequence. */
export interface TaskInfo {
  /** 0-based position in the sequence. */
  readonly index: number
  /** e.g. `task-1` or a dataset name. */
  readonly name: string
  /** Training identities of the task. */
  readonly identities: number
  /** Training images of the task. */
  readonly images: number
}

/** A test set: a task's own (seen) identities, or the identities never trained on (unseen). */
export interface TestSetInfo {
  readonly name: string
  readonly kind: "seen" | "unseen"
  /** For a seen test set: the task whose identities it holds. */
  readonly task?: number
  readonly queries: number
  readonly gallery: number
}

/** The benchmark failed to provide data. @category errors */
export class BenchmarkError extends Data.TaggedError("BenchmarkError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `benchmark: ${this.operation}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** What the engine needs from a benchmark. @category models */
export interface BenchmarkService {
  readonly name: string
  readonly tasks: ReadonlyArray<TaskInfo>
  readonly testSets: ReadonlyArray<TestSetInfo>
  /** Training identities over all tasks (the size of a classifier that covers every task). */
  readonly totalIdentities: number
  /** Opens one task's training data in the current Scope. */
  readonly openTask: (task: number) => Effect.Effect<unknown, BenchmarkError, Scope.Scope>
  /** Opens the union of every task's training data (joint training, the upper bound). */
  readonly openJoint: Effect.Effect<unknown, BenchmarkError, Scope.Scope>
  /** Opens a test set in the current Scope. */
  readonly openTestSet: (name: string) => Effect.Effect<unknown, BenchmarkError, Scope.Scope>
}

/** The benchmark of the run. @category services */
export class Benchmark extends Context.Service<Benchmark, BenchmarkService>()("@reidfx/continual/Benchmark") {}

/** The seen test set of a task and every earlier task, in task order. */
export const seenTestSets = (testSets: ReadonlyArray<TestSetInfo>, afterTask: number): ReadonlyArray<TestSetInfo> =>
  testSets.filter((t) => t.kind === "seen" && t.task !== undefined && t.task <= afterTask)

/** The unseen test sets. */
export const unseenTestSets = (testSets: ReadonlyArray<TestSetInfo>): ReadonlyArray<TestSetInfo> =>
  testSets.filter((t) => t.kind === "unseen")

/**
 * The benchmark as a stage of task `task` sees it: only that task's training data can be opened; another task,
 * the joint data or a test set is a `BenchmarkError` naming the rule. The runner provides this view to custom
 * stages, so no service in a stage's context can open another task.
 */
export const confined = (benchmark: BenchmarkService, task: number): BenchmarkService => {
  const refuse = (what: string) =>
    Effect.fail(
      new BenchmarkError({
        operation: what,
        cause: new Error(
          `a stage of task ${task + 1} can open only its own task's training data (lifelong rule: earlier and later tasks are unavailable)`
        )
      })
    )
  return {
    ...benchmark,
    openTask: (t) => (t === task ? benchmark.openTask(t) : refuse(`open task ${t + 1}`)),
    openJoint: refuse("open the joint training data"),
    openTestSet: (name) => refuse(`open test set ${name}`)
  }
}
