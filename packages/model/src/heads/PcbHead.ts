/**
 * PCB, the part-based convolutional baseline (Sun, Zheng, Yang, Tian & Wang, "Beyond Part Models: Person
 * Retrieval with Refined Part Pooling (and A Strong Convolutional Baseline)", ECCV 2018): the feature map is cut
 * into `p` uniform horizontal parts (6 in the paper), each part is average-pooled into a column vector `g_i`,
 * reduced by its own 1x1 convolution + BN + ReLU into `h_i` (256 channels), and classified by its own classifier:
 *
 *     g_i = mean_{rows of part i} F,   h_i = ReLU(BN_i(W_i g_i)),   z_i = h_i V_i        i = 1..p
 *     L = sum_i CE(z_i, y)                                                               (`partCrossEntropy`)
 *
 * Retrieval concatenates the parts (`Pcb.descriptor`: the `h_i`, L2-normalised per part by default). Outputs:
 * `localFeatures` `[B, p, channels]` (the `h_i`) and `partLogits` (p times `[B, K]`). With `refined: true` the
 * `g_i` come from refined part pooling (RPP, the paper's Sec. 3.2, `RefinedPartPooling.ts`): a part classifier
 * `parts/rpp/kernel` `[C, p]` assigns every location softly to the parts.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, ForwardContext } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { linear } from "../nn/Linear.ts"
import { refinedPartPooling } from "./RefinedPartPooling.ts"
import { stripes } from "./Stripes.ts"

/** Options of the PCB head. */
export interface PcbHeadOptions {
  readonly inChannels: number
  /** Parts p (default 6). */
  readonly parts?: number
  /** Channels of each reduced part h_i (default 256). */
  readonly channels?: number
  /** Identities of each part's classifier (0: none). */
  readonly classes: number
  /** Refined part pooling instead of uniform stripes (default false). */
  readonly refined?: boolean
}

/** What the PCB head gives: the part features and, with a classifier, each part's logits. */
export interface PcbOutputs {
  readonly localFeatures: tf.Tensor3D
  readonly partLogits?: ReadonlyArray<tf.Tensor2D>
}

/** The PCB head (Sun et al. 2018): the feature map cut into horizontal parts, each pooled and reduced. */
export interface PcbHead {
  /** `[B, h, w, C]` feature map -> part features (and logits). */
  readonly forward: (ctx: ForwardContext, map: tf.Tensor4D) => PcbOutputs
  readonly parts: number
  readonly channels: number
}

/** Builds the PCB head (parameters `part<i>/reduce/...`, `part<i>/bn/...`, `part<i>/classifier/...`). */
export const pcbHead = (b: Builder, options: PcbHeadOptions): PcbHead => {
  const p = options.parts ?? 6
  const channels = options.channels ?? 256
  // the part classifier W [C, p] of RPP (near-uniform assignments at the start)
  const rpp =
    options.refined === true
      ? b
          .scope("rpp")
          .param("kernel", [options.inChannels, p], { kind: "normal", std: 0.001 }, { fans: [options.inChannels, p] })
      : undefined
  const blocks = Array.from({ length: p }, (_, i) => {
    const s = b.scope(`part${i}`)
    return {
      reduce: linear(s.scope("reduce"), { inFeatures: options.inChannels, outFeatures: channels }),
      bn: batchNorm<tf.Tensor2D>(s.scope("bn"), { channels }),
      classifier:
        options.classes > 0
          ? linear(s.scope("classifier"), {
              inFeatures: channels,
              outFeatures: options.classes,
              init: { kind: "normal", std: 0.001 },
              biasInit: { kind: "constant", value: 0 }
            })
          : undefined
    }
  })
  return {
    parts: p,
    channels,
    forward: (ctx, map) => {
      const g = rpp === undefined ? stripes(map, p) : refinedPartPooling(map, ctx.get(rpp) as tf.Tensor2D) // [B, p, C]
      const hs = blocks.map((blk, i) => {
        const gi = tf.reshape(tf.slice(g, [0, i, 0], [-1, 1, -1]), [map.shape[0], options.inChannels]) as tf.Tensor2D
        return tf.relu(blk.bn(ctx, blk.reduce(ctx, gi))) as tf.Tensor2D
      })
      const localFeatures = tf.stack(hs, 1) as tf.Tensor3D
      if (options.classes === 0) return { localFeatures }
      return { localFeatures, partLogits: hs.map((h, i) => blocks[i]!.classifier!(ctx, h)) }
    }
  }
}

/** PCB's retrieval descriptor: the parts `[B, p, C]` concatenated to `[B, p C]`, each part L2-normalised unless `normalize: false`. @category math @since 0.1.0 */
export const pcbDescriptor = (localFeatures: tf.Tensor3D, normalize = true): tf.Tensor2D =>
  tf.tidy(() => {
    const [b, p, c] = localFeatures.shape
    const x = normalize ? tf.div(localFeatures, tf.maximum(tf.norm(localFeatures, 2, -1, true), 1e-12)) : localFeatures
    return tf.reshape(x, [b, p * c]) as tf.Tensor2D
  })
