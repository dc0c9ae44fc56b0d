/**
 * Typed errors of the tensor runtime. Every error carries a `message` that tells the user what to fix.
 * @since 0.1.0
 */
import { Data } from "effect"

/** The requested tfjs backend cannot be loaded (package not installed, no GPU, ...). @category errors */
export class BackendUnavailable extends Data.TaggedError("BackendUnavailable")<{
  readonly backend: string
  readonly hint: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `tfjs backend "${this.backend}" is unavailable: ${this.hint}`
  }
}

/** A tensor does not have the shape a function needs. @category errors */
export class ShapeMismatch extends Data.TaggedError("ShapeMismatch")<{
  /** What was checked, e.g. "tripletBatchHard: embeddings". */
  readonly what: string
  /** The expected shape; `null` entries match any size, a string names a size that must agree elsewhere. */
  readonly expected: ReadonlyArray<number | string | null>
  readonly actual: ReadonlyArray<number>
}> {
  override get message(): string {
    const show = (s: ReadonlyArray<number | string | null>) =>
      `[${s.map((d) => (d === null ? "*" : String(d))).join(", ")}]`
    return `${this.what}: expected shape ${show(this.expected)}, got ${show(this.actual)}`
  }
}

/** A tensor holds NaN or an infinite value where finite numbers are required. @category errors */
export class NonFiniteTensor extends Data.TaggedError("NonFiniteTensor")<{
  readonly what: string
  readonly count: number
}> {
  override get message(): string {
    return `${this.what}: ${this.count} value(s) are NaN or infinite`
  }
}

/** A value of the wrong dtype (e.g. float labels). @category errors */
export class DTypeMismatch extends Data.TaggedError("DTypeMismatch")<{
  readonly what: string
  readonly expected: string
  readonly actual: string
}> {
  override get message(): string {
    return `${this.what}: expected dtype ${this.expected}, got ${this.actual}`
  }
}

/** An option value is outside its allowed domain. @category errors */
export class InvalidOption extends Data.TaggedError("InvalidOption")<{
  readonly what: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.what}: ${this.detail}`
  }
}

/**
 * A task's data was read after the task ended (its Scope closed): the lifelong rule ("data from previous tasks
 * are unavailable in successive ones") forbids it. The one error of every task-data reader (`@reidfx/data`'s
 * task items and `@reidfx/continual`'s engine, which re-export it). @category errors
 */
export class TaskDataClosed extends Data.TaggedError("TaskDataClosed")<{
  /** The task index (0-based). */
  readonly task: number
  /** What tried to read it (a stage name, or the accessor, e.g. "train"). */
  readonly reader: string
}> {
  /** The former name of {@link reader} in `@reidfx/data`. */
  get accessed(): string {
    return this.reader
  }
  override get message(): string {
    return (
      `task ${this.task}: its data was read ("${this.reader}") after the task ended; a lifelong protocol may not use a finished ` +
      "task's data (keep what you need, e.g. a model snapshot or exemplars, before the task's scope closes)"
    )
  }
}
