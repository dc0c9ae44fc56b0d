/**
 * The typed errors of `@reidfx/sweep`. Each one's `message` says what went wrong and what to do.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A sweep (file or value) does not decode, or names something that does not exist. @category errors */
export class SweepDecodeError extends Data.TaggedError("SweepDecodeError")<{
  /** Where the sweep came from (a file path, or "value"). */
  readonly source: string
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return `invalid sweep (${this.source}):\n` + this.issues.map((i) => `  - at ${i.path}: ${i.message}`).join("\n")
  }
}

/** The store URL is malformed, or its database cannot be opened. @category errors */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly url: string
  readonly reason: string
}> {
  override get message(): string {
    return `store ${this.url}: ${this.reason}`
  }
}

/** Reading or writing the store failed (a SQL error), or a row in it is not what reidfx wrote. @category errors */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `sweep store, ${this.operation}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** A submitted sweep id is not in the store. @category errors */
export class SweepNotFound extends Data.TaggedError("SweepNotFound")<{
  readonly id: string
}> {
  override get message(): string {
    return `no sweep ${this.id} in the store; submit it with reidfx sweep <file> --store <url>`
  }
}
