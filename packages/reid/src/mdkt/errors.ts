/**
 * The typed errors of the MDKT application (`@reidfx/reid`'s `mdkt/`). Each one's `message` says what went wrong
 * and what to do.
 * @since 0.1.0
 */
import { Data } from "effect"

/** An MDKT protocol (file or value) does not decode. `issues` lists each problem with its path. @category errors @since 0.1.0 */
export class MdktProtocolDecodeError extends Data.TaggedError("MdktProtocolDecodeError")<{
  /** Where the protocol came from (a file path, or "value"). */
  readonly source: string
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return (
      `invalid MDKT protocol (${this.source}):\n` + this.issues.map((i) => `  - at ${i.path}: ${i.message}`).join("\n")
    )
  }
}

/** A protocol cannot be run as declared (e.g. a stage-2 row has no term at all). @category errors @since 0.1.0 */
export class MdktProtocolInvalid extends Data.TaggedError("MdktProtocolInvalid")<{
  readonly what: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.what}: ${this.detail}`
  }
}
