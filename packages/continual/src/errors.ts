/**
 * The typed errors of `@reidfx/continual` (the engine). Each one's `message` says what went wrong and what to do.
 * @since 0.1.0
 */
import { describeCause } from "@reidfx/tensor"
import { Data } from "effect"

/**
 * A stage tried to read the training data of a task that has ended: `@reidfx/tensor`'s `TaskDataClosed`, the one
 * error of every task-data reader. @category errors
 */
export { TaskDataClosed } from "@reidfx/tensor"

/** A stage needs the old model and there is none (no snapshot stage ran before it). @category errors */
export class NoOldModel extends Data.TaggedError("NoOldModel")<{
  readonly stage: string
  readonly task: number
}> {
  override get message(): string {
    return (
      `${this.stage} on task ${this.task}: there is no old model; add a snapshot stage after training, ` +
      `or declare firstTask: "withoutOldModelTerms" for methods whose terms need it`
    )
  }
}

/** Reading or writing the run folder failed. @category errors */
export class RunStoreError extends Data.TaggedError("RunStoreError")<{
  readonly path: string
  readonly operation: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const detail = this.cause === undefined ? "" : describeCause(this.cause)
    return `run folder: cannot ${this.operation} ${this.path}${detail === "" ? "" : `: ${detail}`}`
  }
}

/**
 * A resumed run does not match the run folder (another protocol, other methods or seeds). Delete the folder or
 * choose another one. @category errors
 */
export class RunMismatch extends Data.TaggedError("RunMismatch")<{
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `run folder ${this.path} belongs to another protocol (${this.detail}); use a new --out folder or delete it`
  }
}

/** The learner (model, trainer, evaluation) failed in a stage. @category errors */
export class StageFailed extends Data.TaggedError("StageFailed")<{
  readonly stage: string
  readonly task: number
  readonly method: string
  readonly seed: number
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `method ${this.method}, seed ${this.seed}, task ${this.task}, stage ${this.stage}: ${detail}`
  }
}

/**
 * A run folder's `state.json` is not a stage journal this version reads: written by an older reidfx (a lifelong
 * unit state from before the runner kept a journal), by a newer one, or not a journal at all (damaged). It is the
 * `cause` of the `RunStoreError` the journal fails with (operation "resume from"), so every run's error type is
 * unchanged. Rerun with `--fresh` (or use another `--out` folder). @category errors
 */
export class RunFolderOutdated extends Data.TaggedError("RunFolderOutdated")<{
  readonly writtenBy: "older" | "newer" | "unknown"
  /** What the file holds instead. */
  readonly found: string
}> {
  override get message(): string {
    const by =
      this.writtenBy === "unknown"
        ? "not written by reidfx's run engine"
        : `written by a${this.writtenBy === "older" ? "n older" : " newer"} reidfx`
    return `${by} (${this.found}): rerun with --fresh`
  }
}
