/**
 * AlignedReID's local branch (Zhang et al., "AlignedReID: Surpassing Human-Level Performance in Person
 * Re-Identification", 2017, section 3.1): the backbone's feature map is pooled over its width into one vector
 * per row (or per stripe of rows), then a 1x1 convolution (a linear map of the channels), batch normalisation
 * and a ReLU reduce each to `channels` (128 in the paper and the reproduction's `local_conv_out_channels`):
 *
 *     l_s = ReLU(BN(W · mean_{(r, x) in stripe s} F[r, x, :]))        s = 1..S,   localFeatures = [B, S, channels]
 *
 * The paper pools each row by a horizontal max pooling; the released reproduction
 * (huanghoujing/AlignedReID-Re-Production-Pytorch, `aligned_reid/model/Model.py`) averages (`torch.mean(feat, -1)`),
 * the default here (`pooling: "max"` is the paper's). Training: `alignedTriplet`; retrieval adds
 * `LocalDistance` to the global distance (`@reidfx/eval`'s `AlignedDistance`).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, ForwardContext } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { linear } from "../nn/Linear.ts"
import { stripes } from "./Stripes.ts"

/** Options of {@link localBranch}. */
export interface LocalBranchOptions {
  readonly inChannels: number
  /** Output channels per stripe (default 128). */
  readonly channels?: number
  /** Stripes S (default: one per row of the feature map). */
  readonly stripes?: number | undefined
  /** How each row is pooled over its width: `avg` (the reproduction, default) or `max` (the paper). */
  readonly pooling?: "avg" | "max"
}

/** The local branch of AlignedReID: per-stripe local features from the feature map. */
export interface LocalBranch {
  /** `[B, h, w, C] -> [B, S, channels]`. */
  readonly forward: (ctx: ForwardContext, map: tf.Tensor4D) => tf.Tensor3D
  readonly channels: number
}

/** Builds the local branch (parameters `conv/kernel`, `conv/bias`, `bn/...`). */
export const localBranch = (b: Builder, options: LocalBranchOptions): LocalBranch => {
  const channels = options.channels ?? 128
  const conv = linear(b.scope("conv"), { inFeatures: options.inChannels, outFeatures: channels })
  const bn = batchNorm<tf.Tensor2D>(b.scope("bn"), { channels })
  return {
    channels,
    forward: (ctx, map) => {
      const [n, h, , c] = map.shape
      const s = options.stripes ?? h
      const pooled = stripes(options.pooling === "max" ? (tf.max(map, 2, true) as tf.Tensor4D) : map, s)
      const flat = tf.reshape(pooled, [n * s, c]) as tf.Tensor2D
      return tf.reshape(tf.relu(bn(ctx, conv(ctx, flat))), [n, s, channels]) as tf.Tensor3D
    }
  }
}
