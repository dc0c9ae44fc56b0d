/**
 * MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018), with
 * torchvision's architecture: a 3x3 / 2 stem (32), inverted residual blocks (expansion t, channels c,
 * repeats n, stride s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1),
 * then a 1x1 convolution to 1280 channels; ReLU6 everywhere but after the projection (linear bottleneck).
 * With a 1000-class classifier: 3,504,872 parameters, torchvision's count.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { conv2d, depthwiseConv2d } from "../nn/Conv2d.ts"
import type { Backbone } from "./Backbone.ts"
import { Schema } from "effect"
import * as BackboneEntry from "./BackboneEntry.ts"

const { def } = BackboneEntry

/** Options of MobileNetV2 (Sandler et al. 2018): input channels, width multiplier and the stride of the last stage. */
export interface MobileNetV2Options {
  readonly inChannels?: number
  /** Width multiplier (default 1). */
  readonly widthMultiplier?: number
}

/** torchvision's `_make_divisible`: round to a multiple of 8, never more than 10% below v. */
export const makeDivisible = (v: number, divisor = 8): number => {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor)
  return rounded < 0.9 * v ? rounded + divisor : rounded
}

const settings: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1]
]

const invertedResidual = (
  b: Builder,
  inChannels: number,
  outChannels: number,
  stride: number,
  expand: number
): Forward => {
  const hidden = Math.round(inChannels * expand)
  const useResidual = stride === 1 && inChannels === outChannels
  const steps: Array<Forward> = []
  let i = 0
  if (expand !== 1) {
    const conv = conv2d(b.scope(`conv/${i}/0`), { inChannels, outChannels: hidden, kernel: 1, padding: 0 })
    const bn = batchNorm<tf.Tensor4D>(b.scope(`conv/${i}/1`), { channels: hidden })
    steps.push((ctx, x) => tf.relu6(bn(ctx, conv(ctx, x))))
    i++
  }
  const dw = depthwiseConv2d(b.scope(`conv/${i}/0`), { channels: hidden, kernel: 3, stride })
  const dwBn = batchNorm<tf.Tensor4D>(b.scope(`conv/${i}/1`), { channels: hidden })
  steps.push((ctx, x) => tf.relu6(dwBn(ctx, dw(ctx, x))))
  i++
  const project = conv2d(b.scope(`conv/${i}`), { inChannels: hidden, outChannels, kernel: 1, padding: 0 })
  const projectBn = batchNorm<tf.Tensor4D>(b.scope(`conv/${i + 1}`), { channels: outChannels })
  steps.push((ctx, x) => projectBn(ctx, project(ctx, x)))
  return (ctx, x) => {
    const y = steps.reduce((h, f) => f(ctx, h), x)
    return useResidual ? tf.add(x, y) : y
  }
}

/** The MobileNetV2 feature extractor (torchvision's `features`). */
export const mobileNetV2 = (b: Builder, options: MobileNetV2Options = {}): Backbone => {
  const wm = options.widthMultiplier ?? 1
  const f = b.scope("features")
  let inChannels = makeDivisible(32 * wm)
  const lastChannels = makeDivisible(1280 * Math.max(1, wm))
  const stemConv = conv2d(f.scope("0/0"), {
    inChannels: options.inChannels ?? 3,
    outChannels: inChannels,
    kernel: 3,
    stride: 2
  })
  const stemBn = batchNorm<tf.Tensor4D>(f.scope("0/1"), { channels: inChannels })
  const blocks: Array<Forward> = [(ctx, x) => tf.relu6(stemBn(ctx, stemConv(ctx, x)))]
  let index = 1
  for (const [t, c, n, s] of settings) {
    const out = makeDivisible(c * wm)
    for (let i = 0; i < n; i++) {
      blocks.push(invertedResidual(f.scope(String(index)), inChannels, out, i === 0 ? s : 1, t))
      inChannels = out
      index++
    }
  }
  const lastConv = conv2d(f.scope(`${index}/0`), { inChannels, outChannels: lastChannels, kernel: 1, padding: 0 })
  const lastBn = batchNorm<tf.Tensor4D>(f.scope(`${index}/1`), { channels: lastChannels })
  blocks.push((ctx, x) => tf.relu6(lastBn(ctx, lastConv(ctx, x))))
  return { outChannels: lastChannels, forward: (ctx, x) => blocks.reduce((h, g) => g(ctx, h), x) }
}

/** torchvision's MobileNetV2. */
export const MobileNetV2Backbone = Schema.Struct({
  kind: Schema.Literal("mobilenetv2"),
  widthMultiplier: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(1))
})

/** The catalog entry. @category catalog */
export const mobilenetv2 = BackboneEntry.make({
  name: "mobilenetv2",
  description: "torchvision's MobileNetV2 (Sandler et al. CVPR 2018)",
  config: MobileNetV2Backbone,
  build: (b, c, inChannels) => mobileNetV2(b, { inChannels, widthMultiplier: c.widthMultiplier }),
  fromProtocol: () => ({ kind: "mobilenetv2" as const })
})
