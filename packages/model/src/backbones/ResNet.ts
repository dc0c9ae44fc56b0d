/**
 * ResNet-18, -34 and -50 (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016), with the
 * architecture of torchvision (v1.5 bottleneck: stride on the 3x3 convolution). With a 1000-class linear
 * classifier they have 11,689,512 / 21,797,672 / 25,557,032 parameters, exactly torchvision's counts.
 *
 * stem: conv 7x7 / 2 (64) + BN + ReLU + max-pool 3x3 / 2 (padding 1); layer1..4 of widths 64-128-256-512
 * with strides 1, 2, 2 and `lastStride` (2 in torchvision, 1 in the ReID "bag of tricks", Luo et al. 2019).
 *
 * Options the ReID papers use, off by default (the defaults are torchvision's architecture exactly):
 * - `ibn`: IBN-a blocks (Pan et al., ECCV 2018): the first BN of every block of layers 1 to 3 is half instance
 *   norm, half batch norm (`resnet50_ibn_a` of XingangPan/IBN-Net; fast-reid's `WITH_IBN`).
 * - `stemPool: "fastreid"`: fast-reid's stem max-pool, 3x3 / 2 without padding in ceil mode
 *   (`nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)` in `fastreid/modeling/backbones/resnet.py`), for its
 *   checkpoints; torchvision's (default) pads by 1 and floors.
 *
 * Parameter names follow torchvision's module names (`conv1/kernel`, `layer1/0/bn1/gamma`,
 * `layer2/0/downsample/0/kernel`, ...) so converted weights map one to one (kernels are `[kh, kw, in, out]`,
 * transpose PyTorch's `[out, in, kh, kw]` with (2, 3, 1, 0)).
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

const { def } = BackboneEntry

/** The ResNet depths built (He et al. 2016): 18 and 34 with basic blocks, 50 with bottlenecks. */
export type ResNetDepth = 18 | 34 | 50

/** Options of {@link resNet}. */
export interface ResNetOptions {
  readonly depth: ResNetDepth
  readonly inChannels?: number
  /** Stride of layer4 (default 2, torchvision; 1 for ReID). */
  readonly lastStride?: number
  /** IBN-a blocks in layers 1-3 (default false). */
  readonly ibn?: boolean
  /** The stem max-pool: torchvision's 3x3 / 2 padding 1 (default) or fast-reid's 3x3 / 2, no padding, ceil mode. */
  readonly stemPool?: "torchvision" | "fastreid"
}

/**
 * Max-pooling 3x3 / 2 without padding in ceil mode (PyTorch's `ceil_mode=True`): the map is padded at the bottom
 * and right with -inf so the last, partial window exists; out = ceil((n - 3) / 2) + 1.
 */
export const maxPoolCeil = (x: tf.Tensor4D): tf.Tensor4D => {
  const [, h, w] = x.shape
  const extra = (n: number) => ((n - 3) % 2 === 0 ? 0 : 1)
  const padded =
    extra(h) + extra(w) === 0
      ? x
      : tf.pad(
          x,
          [
            [0, 0],
            [0, extra(h)],
            [0, extra(w)],
            [0, 0]
          ],
          Number.NEGATIVE_INFINITY
        )
  return tf.maxPool(padded, 3, 2, "valid")
}

const layouts: Record<
  ResNetDepth,
  { readonly kind: "basic" | "bottleneck"; readonly blocks: readonly [number, number, number, number] }
> = {
  18: { kind: "basic", blocks: [2, 2, 2, 2] },
  34: { kind: "basic", blocks: [3, 4, 6, 3] },
  50: { kind: "bottleneck", blocks: [3, 4, 6, 3] }
}

/** A torchvision ResNet backbone (without its pooling and classifier). */
export const resNet = (b: Builder, options: ResNetOptions): Backbone => {
  const layout = layouts[options.depth]
  const conv1 = conv2d(b.scope("conv1"), { inChannels: options.inChannels ?? 3, outChannels: 64, kernel: 7, stride: 2 })
  const bn1 = batchNorm<tf.Tensor4D>(b.scope("bn1"), { channels: 64 })
  const widths = [64, 128, 256, 512]
  const strides = [1, 2, 2, options.lastStride ?? 2]
  let inChannels = 64
  const stages = widths.map((width, i) => {
    const s = stage(b.scope(`layer${i + 1}`), layout.kind, {
      inChannels,
      width,
      blocks: layout.blocks[i]!,
      stride: strides[i]!,
      ibn: options.ibn === true && i < 3
    })
    inChannels = s.outChannels
    return s.forward
  })
  return {
    outChannels: inChannels,
    forward: (ctx, x) => {
      const h = tf.relu(bn1(ctx, conv1(ctx, x)))
      const stem = options.stemPool === "fastreid" ? maxPoolCeil(h) : tf.maxPool(h, 3, 2, 1)
      return stages.reduce((h, f) => f(ctx, h), stem)
    }
  }
}

/** A torchvision ResNet. */
export const ResNetBackbone = Schema.Struct({
  kind: Schema.Literals(["resnet18", "resnet34", "resnet50"]),
  /** Stride of layer4: 2 (torchvision) or 1 (BoT, Luo et al. 2019). */
  lastStride: Schema.Literals([1, 2]).pipe(def(2)),
  /** IBN-a blocks in layers 1-3 (Pan et al. 2018). */
  ibn: Schema.Boolean.pipe(def(false)),
  /** Stem max-pool: torchvision's (padding 1) or fast-reid's (no padding, ceil mode). */
  stemPool: Schema.Literals(["torchvision", "fastreid"]).pipe(def("torchvision"))
})

const resNetEntry = <const Name extends "resnet18" | "resnet34" | "resnet50">(name: Name, depth: 18 | 34 | 50) =>
  BackboneEntry.make({
    name,
    description: `torchvision's ResNet-${depth} (He et al. CVPR 2016), optionally last stride 1 and IBN-a`,
    config: ResNetBackbone,
    build: (b, c, inChannels) =>
      resNet(b, { depth, inChannels, lastStride: c.lastStride, ibn: c.ibn, stemPool: c.stemPool }),
    fromProtocol: (m) => ({
      kind: name,
      ...(m.lastStride === undefined ? {} : { lastStride: m.lastStride }),
      ...(m.ibn === undefined ? {} : { ibn: m.ibn })
    })
  })

/** The catalog entries. @category catalog */
export const resnet18 = resNetEntry("resnet18", 18)
export const resnet34 = resNetEntry("resnet34", 34)
export const resnet50 = resNetEntry("resnet50", 50)
