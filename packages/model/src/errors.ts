/**
 * Typed errors of the model package.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A weights file does not fit the model (a missing, unexpected or mis-shaped tensor). @category errors */
export class WeightsMismatch extends Data.TaggedError("WeightsMismatch")<{
  readonly path: string
  readonly missing: ReadonlyArray<string>
  readonly unexpected: ReadonlyArray<string>
  readonly shapes: ReadonlyArray<{
    readonly name: string
    readonly expected: ReadonlyArray<number>
    readonly actual: ReadonlyArray<number>
  }>
}> {
  override get message(): string {
    const parts: Array<string> = []
    if (this.missing.length > 0)
      parts.push(
        `missing ${this.missing.length} tensor(s): ${this.missing.slice(0, 8).join(", ")}${this.missing.length > 8 ? ", ..." : ""}`
      )
    if (this.unexpected.length > 0) {
      parts.push(
        `unexpected ${this.unexpected.length} tensor(s): ${this.unexpected.slice(0, 8).join(", ")}${this.unexpected.length > 8 ? ", ..." : ""}`
      )
    }
    for (const s of this.shapes.slice(0, 8))
      parts.push(`${s.name}: expected shape [${s.expected.join(", ")}], file has [${s.actual.join(", ")}]`)
    return `weights in ${this.path} do not fit the model: ${parts.join("; ")} (pass { strict: false } to load the matching subset, or rename with { rename })`
  }
}

/** Reading or writing a weights directory failed. @category errors */
export class WeightsIOError extends Data.TaggedError("WeightsIOError")<{
  readonly path: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `weights at ${this.path}: ${this.detail}`
  }
}
