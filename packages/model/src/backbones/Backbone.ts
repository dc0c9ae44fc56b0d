/**
 * What a backbone is: a forward from `[B, H, W, C]` images to a `[B, h, w, outChannels]` feature map.
 * @since 0.1.0
 */
import type { Forward } from "../nn/Builder.ts"

export interface Backbone {
  readonly forward: Forward
  /** Channels of the final feature map. */
  readonly outChannels: number
}
