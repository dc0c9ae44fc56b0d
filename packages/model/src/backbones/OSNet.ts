/**
 * OSNet, the omni-scale network (Zhou, Yang, Cavallaro and Xiang, "Omni-Scale Feature Learning for Person
 * Re-Identification", ICCV 2019), as torchreid builds it (KaiyangZhou/deep-person-reid, `torchreid/models/osnet.py`):
 *
 * - `conv1`: 7x7 / 2 convolution + BN + ReLU to `c0`, then a 3x3 / 2 max-pool (padding 1);
 * - `conv2`, `conv3`, `conv4`: `layers[i]` omni-scale blocks from `c_i` to `c_{i+1}`; `conv2` and `conv3` end with a
 *   transition (1x1 conv + BN + ReLU, then a 2x2 / 2 average pool);
 * - `conv5`: 1x1 conv + BN + ReLU (`c3` channels): the feature map (torchreid's `featuremaps`). The pooling, the
 *   512-d fc + BN + ReLU of torchreid's head and the classifier are `@reidfx/model`'s head (`head.embedding: 512`
 *   gives the fc).
 *
 * An omni-scale block (`OSBlock`, bottleneck reduction 4): `m = out / 4`; `x1 = Conv1x1(x)` (1x1 + BN + ReLU);
 * four streams of 1, 2, 3 and 4 lite 3x3 layers (`LightConv3x3`: a linear 1x1 conv, then a depthwise 3x3 + BN +
 * ReLU), each multiplied by the one unified aggregation gate (`ChannelGate`: global average pool, 1x1 conv to
 * `m / 16` with bias, ReLU, 1x1 conv back to `m` with bias, sigmoid), summed; `Conv1x1Linear` (1x1 + BN) to `out`,
 * plus the input (through `Conv1x1Linear` when the widths differ), ReLU.
 *
 * Widths: `osnet_x1_0` is `[64, 256, 384, 512]` with `layers: [2, 2, 2]`; torchreid's smaller models are the same
 * channels times 0.75, 0.5, 0.25 (`osnet_x0_25`: `[16, 64, 96, 128]`), which is `widthMultiplier` here.
 * Initialisation as torchreid's `_init_params`: He normal fan-out for convolutions, BN 1 / 0, biases 0.
 * Not implemented: the instance-normalisation variant (`osnet_ibn_x1_0`).
 * @since 0.3.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import type { Builder, Forward } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { conv2d, depthwiseConv2d } from "../nn/Conv2d.ts"
import type { Backbone } from "./Backbone.ts"
import * as BackboneEntry from "./BackboneEntry.ts"

/** Options of OSNet: input channels, width multiplier of torchreid's x1.0 channels, blocks per stage. */
export interface OSNetOptions {
  readonly inChannels?: number
  /** Channels `[64, 256, 384, 512]` times this (torchreid: 1, 0.75, 0.5, 0.25). Default 1. */
  readonly widthMultiplier?: number
  /** Omni-scale blocks in conv2, conv3, conv4. Default `[2, 2, 2]`. */
  readonly layers?: readonly [number, number, number]
}

/** The channels of OSNet at a width multiplier: `round(c * m)` of `[64, 256, 384, 512]`. */
export const channels = (widthMultiplier = 1): readonly [number, number, number, number] =>
  [64, 256, 384, 512].map((c) => Math.max(1, Math.round(c * widthMultiplier))) as unknown as readonly [
    number,
    number,
    number,
    number
  ]

/** 1x1 convolution + BN, with a ReLU when `relu` (torchreid's `Conv1x1` / `Conv1x1Linear`). */
const conv1x1 = (b: Builder, inChannels: number, outChannels: number, relu: boolean): Forward => {
  const conv = conv2d(b.scope("conv"), { inChannels, outChannels, kernel: 1, padding: 0 })
  const bn = batchNorm<tf.Tensor4D>(b.scope("bn"), { channels: outChannels })
  return (ctx, x) => (relu ? tf.relu(bn(ctx, conv(ctx, x))) : bn(ctx, conv(ctx, x)))
}

/** torchreid's `LightConv3x3`: linear 1x1, depthwise 3x3, BN, ReLU. */
const lightConv3x3 = (b: Builder, inChannels: number, outChannels: number): Forward => {
  const pointwise = conv2d(b.scope("conv1"), { inChannels, outChannels, kernel: 1, padding: 0 })
  // torchreid: kaiming_normal_(fan_out) with fan_out = out / groups * 3 * 3 = 9 for the depthwise conv
  const depthwise = depthwiseConv2d(b.scope("conv2"), { channels: outChannels, kernel: 3 })
  const bn = batchNorm<tf.Tensor4D>(b.scope("bn"), { channels: outChannels })
  return (ctx, x) => tf.relu(bn(ctx, depthwise(ctx, pointwise(ctx, x))))
}

/** torchreid's `ChannelGate` (reduction 16, sigmoid): `x * sigmoid(fc2(relu(fc1(avgpool(x)))))`. */
const channelGate = (b: Builder, inChannels: number): Forward => {
  const hidden = Math.max(1, Math.floor(inChannels / 16))
  const fc1 = conv2d(b.scope("fc1"), { inChannels, outChannels: hidden, kernel: 1, padding: 0, bias: true })
  const fc2 = conv2d(b.scope("fc2"), { inChannels: hidden, outChannels: inChannels, kernel: 1, padding: 0, bias: true })
  return (ctx, x) => tf.mul(x, tf.sigmoid(fc2(ctx, tf.relu(fc1(ctx, tf.mean(x, [1, 2], true) as tf.Tensor4D)))))
}

/** torchreid's `OSBlock` (bottleneck reduction 4). */
export const osBlock = (b: Builder, inChannels: number, outChannels: number): Forward => {
  const mid = Math.max(1, Math.floor(outChannels / 4))
  const reduce = conv1x1(b.scope("conv1"), inChannels, mid, true)
  const stream = (name: string, depth: number): Forward => {
    const layers = Array.from({ length: depth }, (_, i) =>
      lightConv3x3(b.scope(depth === 1 ? name : `${name}/${i}`), mid, mid)
    )
    return (ctx, x) => layers.reduce((h, f) => f(ctx, h), x)
  }
  const streams = [stream("conv2a", 1), stream("conv2b", 2), stream("conv2c", 3), stream("conv2d", 4)]
  const gate = channelGate(b.scope("gate"), mid)
  const expand = conv1x1(b.scope("conv3"), mid, outChannels, false)
  const downsample =
    inChannels === outChannels ? undefined : conv1x1(b.scope("downsample"), inChannels, outChannels, false)
  return (ctx, x) => {
    const x1 = reduce(ctx, x)
    const x2 = streams.map((s) => gate(ctx, s(ctx, x1))).reduce((a, c) => tf.add(a, c))
    const identity = downsample === undefined ? x : downsample(ctx, x)
    return tf.relu(tf.add(expand(ctx, x2), identity))
  }
}

/** One stage: `layers` blocks, then (when `reduce`) a 1x1 conv + BN + ReLU and a 2x2 / 2 average pool. */
const stage = (b: Builder, layers: number, inChannels: number, outChannels: number, reduce: boolean): Forward => {
  const blocks = Array.from({ length: layers }, (_, i) =>
    osBlock(b.scope(String(i)), i === 0 ? inChannels : outChannels, outChannels)
  )
  const transition = reduce ? conv1x1(b.scope(`${layers}/0`), outChannels, outChannels, true) : undefined
  return (ctx, x) => {
    const y = blocks.reduce((h, f) => f(ctx, h), x)
    return transition === undefined ? y : tf.avgPool(transition(ctx, y), 2, 2, "valid")
  }
}

/** The OSNet feature extractor (torchreid's `featuremaps`): a `[B, H/16, W/16, c3]` map. */
export const osNet = (b: Builder, options: OSNetOptions = {}): Backbone => {
  const [c0, c1, c2, c3] = channels(options.widthMultiplier)
  const [l2, l3, l4] = options.layers ?? [2, 2, 2]
  const conv1 = conv2d(b.scope("conv1/conv"), {
    inChannels: options.inChannels ?? 3,
    outChannels: c0,
    kernel: 7,
    stride: 2,
    padding: 3
  })
  const bn1 = batchNorm<tf.Tensor4D>(b.scope("conv1/bn"), { channels: c0 })
  const stages = [
    stage(b.scope("conv2"), l2, c0, c1, true),
    stage(b.scope("conv3"), l3, c1, c2, true),
    stage(b.scope("conv4"), l4, c2, c3, false)
  ]
  const conv5 = conv1x1(b.scope("conv5"), c3, c3, true)
  return {
    outChannels: c3,
    forward: (ctx, x) => {
      const stem = tf.maxPool(tf.relu(bn1(ctx, conv1(ctx, x))), 3, 2, 1)
      return conv5(
        ctx,
        stages.reduce((h, f) => f(ctx, h), stem)
      )
    }
  }
}

/** The config of OSNet: `{ kind: osnet, widthMultiplier, layers }`. */
export const OSNetBackbone = Schema.Struct({
  kind: Schema.Literal("osnet"),
  /** torchreid's x1.0 channels times this: 1 (`osnet_x1_0`), 0.75, 0.5, 0.25 (`osnet_x0_25`). */
  widthMultiplier: Schema.Number.check(Schema.isGreaterThan(0)).pipe(BackboneEntry.def(1)),
  /** Omni-scale blocks in conv2, conv3, conv4. */
  layers: Schema.Tuple([BackboneEntry.PositiveInt, BackboneEntry.PositiveInt, BackboneEntry.PositiveInt]).pipe(
    BackboneEntry.def([2, 2, 2] as const)
  )
})

/** The catalog entry. @category catalog */
export const osnet = BackboneEntry.make({
  name: "osnet",
  description: "OSNet, the omni-scale network (Zhou et al. ICCV 2019; torchreid's osnet_x1_0 and its smaller widths)",
  config: OSNetBackbone,
  build: (b, config, inChannels) =>
    osNet(b, { inChannels, widthMultiplier: config.widthMultiplier, layers: config.layers }),
  fromProtocol: () => ({ kind: "osnet" as const })
})
