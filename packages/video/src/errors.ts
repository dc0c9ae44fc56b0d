/**
 * The typed errors of `@reidfx/video`. Each one's `message` says what went wrong and what to do.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A clip has fewer frames than a model or sampler needs. @category errors @since 0.1.0 */
export class NotEnoughFrames extends Data.TaggedError("NotEnoughFrames")<{
  readonly what: string
  readonly needed: number
  readonly available: number
}> {
  override get message(): string {
    return (
      `${this.what}: needs ${this.needed} frame(s) but only ${this.available} are available; ` +
      "lower the number of frames or use longer tracklets"
    )
  }
}

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
