/**
 * The typed errors of `@reidfx/reid`: protocol files, the lifelong methods' rules, run configurations of the
 * strong baseline. Each one's `message` says what went wrong and what to do.
 * @since 0.1.0
 */
import { Data } from "effect"

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

/** A run configuration is invalid (unknown key, bad value, unreadable file). @category errors */
export class RunConfigError extends Data.TaggedError("RunConfigError")<{
  readonly source: string
  readonly detail: string
}> {
  override get message(): string {
    const detail = this.detail.startsWith("- ") && !this.detail.includes("\n") ? this.detail.slice(2) : this.detail
    return detail.includes("\n")
      ? `invalid run configuration (${this.source}):\n${detail}`
      : `invalid run configuration (${this.source}): ${detail}`
  }
}
