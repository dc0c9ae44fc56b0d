/**
 * The residual blocks of ResNets (He et al., CVPR 2016), as in torchvision: the basic block (two 3x3
 * convolutions) and the bottleneck (1x1, 3x3, 1x1 with expansion 4; the stride sits on the 3x3 convolution,
 * torchvision's "ResNet v1.5"). A 1x1 convolution + BN projects the shortcut when the shape changes. With `ibn`,
 * the first BN of a block is IBN-a (half instance norm, half batch norm; Pan et al. 2018, see `nn/Ibn.ts`).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { conv2d } from "../nn/Conv2d.ts"
import { ibnNorm } from "../nn/Ibn.ts"

export interface BlockOptions {
  readonly inChannels: number
  /** Width of the block (its output has `width * expansion` channels). */
  readonly width: number
  readonly stride: number
  /** IBN-a in place of the first BN (default false). */
  readonly ibn?: boolean
}

const firstNorm = (b: Builder, channels: number, ibn: boolean | undefined): Forward =>
  ibn === true ? ibnNorm(b, { channels }) : batchNorm<tf.Tensor4D>(b, { channels })

const shortcut = (b: Builder, inChannels: number, outChannels: number, stride: number): Forward | undefined => {
  if (stride === 1 && inChannels === outChannels) return undefined
  const d = b.scope("downsample")
  const conv = conv2d(d.scope("0"), { inChannels, outChannels, kernel: 1, stride, padding: 0 })
  const bn = batchNorm<tf.Tensor4D>(d.scope("1"), { channels: outChannels })
  return (ctx, x) => bn(ctx, conv(ctx, x))
}

/** The basic block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`. Expansion 1. */
export const basicBlock = (b: Builder, options: BlockOptions): Forward => {
  const { inChannels, width, stride } = options
  const conv1 = conv2d(b.scope("conv1"), { inChannels, outChannels: width, kernel: 3, stride })
  const bn1 = firstNorm(b.scope("bn1"), width, options.ibn)
  const conv2 = conv2d(b.scope("conv2"), { inChannels: width, outChannels: width, kernel: 3 })
  const bn2 = batchNorm<tf.Tensor4D>(b.scope("bn2"), { channels: width })
  const down = shortcut(b, inChannels, width, stride)
  return (ctx, x) => {
    const y = bn2(ctx, conv2(ctx, tf.relu(bn1(ctx, conv1(ctx, x)))))
    return tf.relu(tf.add(y, down === undefined ? x : down(ctx, x)))
  }
}

/** The bottleneck block (expansion 4): 1x1 reduce, 3x3 (strided), 1x1 expand. */
export const bottleneckBlock = (b: Builder, options: BlockOptions): Forward => {
  const { inChannels, width, stride } = options
  const out = width * 4
  const conv1 = conv2d(b.scope("conv1"), { inChannels, outChannels: width, kernel: 1, padding: 0 })
  const bn1 = firstNorm(b.scope("bn1"), width, options.ibn)
  const conv2 = conv2d(b.scope("conv2"), { inChannels: width, outChannels: width, kernel: 3, stride })
  const bn2 = batchNorm<tf.Tensor4D>(b.scope("bn2"), { channels: width })
  const conv3 = conv2d(b.scope("conv3"), { inChannels: width, outChannels: out, kernel: 1, padding: 0 })
  const bn3 = batchNorm<tf.Tensor4D>(b.scope("bn3"), { channels: out })
  const down = shortcut(b, inChannels, out, stride)
  return (ctx, x) => {
    let y = tf.relu(bn1(ctx, conv1(ctx, x)))
    y = tf.relu(bn2(ctx, conv2(ctx, y)))
    y = bn3(ctx, conv3(ctx, y))
    return tf.relu(tf.add(y, down === undefined ? x : down(ctx, x)))
  }
}

/** A stage of `blocks` blocks; the first one carries the stride. Returns the forward and its output channels. */
export const stage = (
  b: Builder,
  kind: "basic" | "bottleneck",
  options: {
    readonly inChannels: number
    readonly width: number
    readonly blocks: number
    readonly stride: number
    readonly ibn?: boolean
  }
): { readonly forward: Forward; readonly outChannels: number } => {
  const expansion = kind === "basic" ? 1 : 4
  const make = kind === "basic" ? basicBlock : bottleneckBlock
  const blocks: Array<Forward> = []
  let inChannels = options.inChannels
  for (let i = 0; i < options.blocks; i++) {
    blocks.push(
      make(b.scope(String(i)), {
        inChannels,
        width: options.width,
        stride: i === 0 ? options.stride : 1,
        ibn: options.ibn ?? false
      })
    )
    inChannels = options.width * expansion
  }
  return {
    forward: (ctx, x) => blocks.reduce((h, block) => block(ctx, h), x),
    outChannels: inChannels
  }
}
