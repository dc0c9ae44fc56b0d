/**
 * The IBN-a normalisation of Pan, Luo, Shi and Tang, "Two at Once: Enhancing Learning and Generalization
 * Capacities via IBN-Net" (ECCV 2018): the first `floor(C / 2)` channels are instance-normalised (appearance
 * invariance), the other `C - floor(C / 2)` batch-normalised (content), then concatenated. It replaces the first BN
 * of every residual block of layers 1 to 3 of a ResNet (`resnet50_ibn_a`, XingangPan/IBN-Net; fast-reid's
 * `IBN` in `fastreid/layers/batch_norm.py`, with `half = int(planes / 2)`). Parameters are named as there,
 * `IN/...` and `BN/...`, so IBN-Net checkpoints import by name.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { batchNorm } from "./BatchNorm.ts"
import type { Builder, Forward } from "./Builder.ts"
import { instanceNorm } from "./InstanceNorm.ts"

/** IBN-a over `channels` channels (instance norm on the first half, batch norm on the rest). */
export const ibnNorm = (b: Builder, options: { readonly channels: number }): Forward => {
  const half = Math.floor(options.channels / 2)
  const inorm = instanceNorm(b.scope("IN"), { channels: half })
  const bnorm = batchNorm<tf.Tensor4D>(b.scope("BN"), { channels: options.channels - half })
  return (ctx, x) => {
    const [a, rest] = tf.split(x, [half, options.channels - half], 3) as [tf.Tensor4D, tf.Tensor4D]
    return tf.concat([inorm(ctx, a), bnorm(ctx, rest)], 3)
  }
}
