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

/**
 * The video world of a config cannot be read as declared: a dataset folder is missing or malformed, `$REIDFX_DATA`
 * is not set, a frame does not decode, or the frame budget is too small. `what` names the config key
 * (`data.world (<layout> at <root>)`), `detail` what to fix. @category errors @since 0.1.0
 */
export class VideoDataInvalid extends Data.TaggedError("VideoDataInvalid")<{
  readonly what: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.what}: ${this.detail}`
  }
}
