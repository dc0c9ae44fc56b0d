/**
 * Typed errors of training.
 * @since 0.1.0
 */
import { Data } from "effect"

/** The loss became NaN or infinite: training stops before the update is applied. @category errors */
export class NonFiniteLoss extends Data.TaggedError("NonFiniteLoss")<{
  /** Global step (0-based). */
  readonly step: number
  /** Which model (in a mutual step), e.g. "model" or "peer". */
  readonly learner: string
  readonly total: number
  /** Each term's unweighted value at that step. */
  readonly terms: Readonly<Record<string, number>>
  readonly learningRate: number
}> {
  override get message(): string {
    const terms = Object.entries(this.terms)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")
    return (
      `non-finite loss at step ${this.step} (${this.learner}): total=${this.total}; terms: ${terms}; learning rate ${this.learningRate}. ` +
      "Lower the learning rate, clip gradients (clipNorm), or check the inputs for NaN."
    )
  }
}

/** A checkpoint could not be written or read, or does not fit the run. @category errors */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly path: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `checkpoint ${this.path}: ${this.detail}`
  }
}

/** A run's output folder cannot be created or written. @category errors */
export class OutputError extends Data.TaggedError("OutputError")<{
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `output ${this.path}: ${this.detail}`
  }
}

/** A term (or the model's forward pass) threw during a step; `cause` is what it threw. @category errors */
export class StepFailed extends Data.TaggedError("StepFailed")<{
  readonly step: number
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `training step ${this.step} failed: ${detail}`
  }
}

/** A saved model cannot be found, read or rebuilt (`reidfx test`, `SavedModel.load`). @category errors */
export class SavedModelError extends Data.TaggedError("SavedModelError")<{
  readonly path: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `model ${this.path}: ${this.detail}`
  }
}
