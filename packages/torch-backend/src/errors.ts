/**
 * Typed errors of the torch backend.
 * @since 0.1.0
 */
import { Data } from "effect"

/** The torch backend cannot be used: addon not built, libtorch missing, no compiler, or a device it lacks. */
export class TorchUnavailable extends Data.TaggedError("TorchUnavailable")<{
  readonly hint: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `torch backend unavailable: ${this.hint}`
  }
}
