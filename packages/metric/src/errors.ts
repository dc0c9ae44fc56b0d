/**
 * Typed errors of `@reidfx/metric`. Bad options fail with `InvalidOption` and bad shapes with `ShapeMismatch`
 * (both from `@reidfx/tensor`); these are the errors specific to losses reading a training step.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A term needs a model output the step does not have (e.g. `logits` for an identity loss). @category errors */
export class MissingOutput extends Data.TaggedError("MissingOutput")<{
  /** The term, e.g. "crossEntropyLabelSmooth". */
  readonly term: string
  /** The missing field, e.g. "outputs.logits" or "cameras". */
  readonly field: string
  /** What to do about it. */
  readonly hint: string
}> {
  override get message(): string {
    return `${this.term}: the step has no ${this.field}; ${this.hint}`
  }
}

/** An episodic loss got a batch whose size does not match its episode layout. @category errors */
export class EpisodeMismatch extends Data.TaggedError("EpisodeMismatch")<{
  readonly term: string
  readonly expected: number
  readonly actual: number
  readonly layout: string
}> {
  override get message(): string {
    return `${this.term}: an episode ${this.layout} has ${this.expected} items, but the batch has ${this.actual}; check the sampler's ways/shots/queries`
  }
}
