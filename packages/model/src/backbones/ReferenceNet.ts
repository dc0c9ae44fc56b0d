/**
 * The CPU reference net: a small ResNet sized for training on a CPU (see the wasm backend notes).
 *
 * stem: conv 3x3 / 2 (`stemWidth`) + BN + ReLU + max-pool 3x3 / 2; then one stage of basic blocks per entry
 * of `widths` (default 32-64-128-256, `blocks` default 2 each); the first stage has stride 1, every later
 * stage stride 2 with a 1x1 convolution + BN shortcut. About 2.8 M parameters with the defaults.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { conv2d } from "../nn/Conv2d.ts"
import type { Backbone } from "./Backbone.ts"
import { Schema } from "effect"
import * as BackboneEntry from "./BackboneEntry.ts"
import { stage } from "./ResNetBlocks.ts"

const { def, PositiveInt } = BackboneEntry

/** Options of the small reference ReID net: stem width, stage widths and blocks per stage. */
export interface ReferenceNetOptions {
  readonly inChannels?: number
  readonly stemWidth?: number
  readonly widths?: ReadonlyArray<number>
  readonly blocks?: ReadonlyArray<number>
  /** Stride of the last stage (1 keeps more spatial detail, as the ReID "last stride" trick). Default 2. */
  readonly lastStride?: number
}

/** The reference net's backbone. */
export const referenceNet = (b: Builder, options: ReferenceNetOptions = {}): Backbone => {
  const stemWidth = options.stemWidth ?? 32
  const widths = options.widths ?? [32, 64, 128, 256]
  const blocks = options.blocks ?? widths.map(() => 2)
  if (blocks.length !== widths.length) throw new Error("referenceNet: widths and blocks must have the same length")
  const conv1 = conv2d(b.scope("conv1"), {
    inChannels: options.inChannels ?? 3,
    outChannels: stemWidth,
    kernel: 3,
    stride: 2
  })
  const bn1 = batchNorm<tf.Tensor4D>(b.scope("bn1"), { channels: stemWidth })
  let inChannels = stemWidth
  const stages = widths.map((width, i) => {
    const stride = i === 0 ? 1 : i === widths.length - 1 ? (options.lastStride ?? 2) : 2
    const s = stage(b.scope(`layer${i + 1}`), "basic", { inChannels, width, blocks: blocks[i]!, stride })
    inChannels = s.outChannels
    return s.forward
  })
  return {
    outChannels: inChannels,
    forward: (ctx, x) => {
      const stem = tf.maxPool(tf.relu(bn1(ctx, conv1(ctx, x))), 3, 2, 1)
      return stages.reduce((h, f) => f(ctx, h), stem)
    }
  }
}

/** The CPU reference net (a small ResNet; see `referenceNet`). */
export const ReferenceBackbone = Schema.Struct({
  kind: Schema.Literal("reference"),
  stemWidth: PositiveInt.pipe(def(32)),
  widths: Schema.Array(PositiveInt)
    .check(Schema.isMinLength(1))
    .pipe(def([32, 64, 128, 256])),
  blocks: Schema.Array(PositiveInt)
    .check(Schema.isMinLength(1))
    .pipe(def([2, 2, 2, 2])),
  lastStride: Schema.Literals([1, 2]).pipe(def(2))
})

/** The catalog entry. @category catalog */
export const reference = BackboneEntry.make({
  name: "reference",
  description: "the CPU reference net: a small ResNet of basic blocks",
  config: ReferenceBackbone,
  build: (b, c, inChannels) =>
    referenceNet(b, {
      inChannels,
      stemWidth: c.stemWidth,
      widths: c.widths,
      blocks: c.blocks,
      lastStride: c.lastStride
    }),
  fromProtocol: (m) => ({
    kind: "reference" as const,
    stemWidth: m.stemWidth,
    widths: [...m.widths],
    blocks: [...m.blocks],
    ...(m.lastStride === undefined ? {} : { lastStride: m.lastStride })
  })
})
