/**
 * The typed errors of `@reidfx/continual`. Each one's `message` says what went wrong and what to do.
 * @since 0.1.0
 */
import { describeCause } from "@reidfx/tensor"
import { Data } from "effect"

/**
 * A stage tried to read the training data of a task that has ended: `@reidfx/data`'s `TaskDataClosed`, the one
 * error of every task-data reader. @category errors
 */
export { TaskDataClosed } from "@reidfx/data"

/** A protocol (file or value) does not decode. `issues` lists each problem with its path. @category errors */
export class ProtocolDecodeError extends Data.TaggedError("ProtocolDecodeError")<{
  /** Where the protocol came from (a file path, or "value"). */
  readonly source: string
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return `invalid protocol (${this.source}):\n` + this.issues.map((i) => `  - at ${i.path}: ${i.message}`).join("\n")
  }
}

/**
 * A method uses a term that needs the old model (LwF, DwPP, DwoPP, AKA's stability term) but does not say what
 * happens on the first task, where there is no old model. @category errors
 */
export class OldModelUndeclared extends Data.TaggedError("OldModelUndeclared")<{
  readonly method: string
  readonly terms: ReadonlyArray<string>
}> {
  override get message(): string {
    return (
      `method "${this.method}": the term(s) ${this.terms.join(", ")} need the old model, which does not exist ` +
      `on the first task; set firstTask: "withoutOldModelTerms" (train the first task without them)`
    )
  }
}

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
 * A task's training set holds old data beyond the declared exemplar memory (an item of an earlier task that
 * is not in the memory, or a memory over its budget): "no old data beyond the declared memory". @category errors
 */
export class OldDataBeyondMemory extends Data.TaggedError("OldDataBeyondMemory")<{
  readonly task: number
  readonly detail: string
}> {
  override get message(): string {
    return `task ${this.task}: ${this.detail}; a rehearsal method may train only on the current task and its declared exemplar memory`
  }
}
