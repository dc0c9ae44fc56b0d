/**
 * Typed errors of the data package. Every error carries a `message` that tells the user what to fix.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A dataset's root folder (or one of its required sub-folders / files) is missing. @category errors */
export class DatasetNotFound extends Data.TaggedError("DatasetNotFound")<{
  /** The dataset (e.g. "Market-1501"). */
  readonly dataset: string
  /** The path that was looked for. */
  readonly path: string
  /** The expected layout, as a small tree. */
  readonly layout: string
}> {
  override get message(): string {
    return `${this.dataset}: "${this.path}" was not found. Expected layout:\n${this.layout}`
  }
}

/** An image file could not be decoded. @category errors */
export class CorruptImage extends Data.TaggedError("CorruptImage")<{
  readonly path: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? `: ${this.cause.message}` : ""
    return `cannot decode image "${this.path}"${detail}`
  }
}

/** A metadata file of a dataset (list file, track info, CSV manifest) is malformed. @category errors */
export class MalformedMetadata extends Data.TaggedError("MalformedMetadata")<{
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/** A task's data was read after it ended (`@reidfx/tensor`'s, the one class of every task-data reader). @category errors */
export { TaskDataClosed } from "@reidfx/tensor"

/** A sampler cannot build a batch from the data it was given (too few identities, items, ...). @category errors */
export class SamplerError extends Data.TaggedError("SamplerError")<{
  readonly sampler: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.sampler}: ${this.detail}`
  }
}

/**
 * A dataset's train split shares identities with its query or gallery split (a split file that mixes them, or
 * files named with the wrong identity): ReID test identities must never be trained on. @category errors
 */
export class IdentityOverlap extends Data.TaggedError("IdentityOverlap")<{
  readonly dataset: string
  /** Up to a few of the shared identities. */
  readonly identities: ReadonlyArray<number>
  /** How many identities are shared. */
  readonly count: number
}> {
  override get message(): string {
    return `${this.dataset}: ${this.count} identities are both in the train split and in the query / gallery (e.g. ${this.identities.join(", ")}); fix the split file so train and test identities are disjoint`
  }
}
