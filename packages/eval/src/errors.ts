/**
 * Typed errors of the evaluation protocols. Each `message` says what to fix.
 * @since 0.1.0
 */
import { Data } from "effect"

/** Two inputs that must have the same length do not (e.g. features and identities). @category errors */
export class LengthMismatch extends Data.TaggedError("LengthMismatch")<{
  readonly what: string
  readonly expected: number
  readonly actual: number
}> {
  override get message(): string {
    return `${this.what}: expected length ${this.expected}, got ${this.actual}`
  }
}

/** A set that must not be empty is (no gallery items, no queries, no tracklets). @category errors */
export class EmptySet extends Data.TaggedError("EmptySet")<{
  readonly what: string
}> {
  override get message(): string {
    return `${this.what} is empty: there is nothing to evaluate`
  }
}

/** No query has a valid (non-junk) match in the gallery, so no ranking metric is defined. @category errors */
export class NoValidQuery extends Data.TaggedError("NoValidQuery")<{
  readonly queries: number
}> {
  override get message(): string {
    return `none of the ${this.queries} queries has a valid match in the gallery (every same-identity gallery item is junk or absent): check identities, cameras and the junk options`
  }
}

/** The union of the errors of `@reidfx/eval`'s own checks. */
export type EvalError = LengthMismatch | EmptySet | NoValidQuery | InvalidFile

/** A features or labels file cannot be read as such (unknown extension, bad shape, bad dtype, bad JSON or CSV). @category errors */
export class InvalidFile extends Data.TaggedError("InvalidFile")<{
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}
