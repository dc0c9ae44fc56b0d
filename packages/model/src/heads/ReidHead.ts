/**
 * The ReID head: global pooling, an optional embedding layer, an optional BNNeck, an optional classifier.
 *
 *     features     = embed(pool(feature map))            (pre-neck: metric losses act on these)
 *     neckFeatures = BN_{no bias}(features) or features  (retrieval uses these)
 *     logits       = neckFeatures W                      (W without bias under a BNNeck)
 *
 * BNNeck is the head of the "bag of tricks" baseline (Luo et al., "Bag of Tricks and a Strong Baseline for
 * Deep Person Re-identification", CVPRW 2019): a batch normalisation whose bias is fixed at zero between the
 * triplet-loss features and the bias-free classifier (initialised N(0, 0.001^2)).
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import type { Builder, ForwardContext } from "../nn/Builder.ts"
import { batchNorm } from "../nn/BatchNorm.ts"
import { linear } from "../nn/Linear.ts"
import { globalPool, type PoolingKind } from "../nn/Pooling.ts"

/** Options of the ReID head: global pooling, an optional embedding layer, the BNNeck and the identity classifier. */
export interface ReidHeadOptions {
  readonly inChannels: number
  readonly pooling: PoolingKind
  readonly gemP?: number
  /** Size of a linear embedding after pooling; absent: the pooled features are the embedding. */
  readonly embedding?: number | undefined
  readonly neck: "bnneck" | "none"
  /** Classes of the classifier; 0: no classifier (no logits). */
  readonly classes: number
  /** Bias in the classifier (default: false with a BNNeck, true without). */
  readonly classifierBias?: boolean | undefined
  /** Classifier initialisation: "reid" N(0, 0.001^2) (default), "torch" PyTorch's uniform default. */
  readonly classifierInit?: "reid" | "torch"
}

/** The ReID head: pooling, neck and classifier on the backbone's feature map. */
export interface ReidHead {
  /** Pools the feature map `[B, H, W, C]` and computes the head's outputs. */
  readonly forward: (ctx: ForwardContext, map: tf.Tensor4D) => ModelOutputs
  /** Size of `features` and `neckFeatures`. */
  readonly featureDim: number
}

/** Builds the head. */
export const reidHead = (b: Builder, options: ReidHeadOptions): ReidHead => {
  const pool = globalPool(b.scope("pool"), {
    kind: options.pooling,
    ...(options.gemP === undefined ? {} : { gemP: options.gemP })
  })
  const dim = options.embedding ?? options.inChannels
  const embed =
    options.embedding === undefined
      ? undefined
      : linear(b.scope("embedding"), { inFeatures: options.inChannels, outFeatures: options.embedding })
  const neck =
    options.neck === "bnneck" ? batchNorm<tf.Tensor2D>(b.scope("bnneck"), { channels: dim, center: false }) : undefined
  const bias = options.classifierBias ?? options.neck !== "bnneck"
  const classifier =
    options.classes > 0
      ? linear(b.scope("classifier"), {
          inFeatures: dim,
          outFeatures: options.classes,
          bias,
          init:
            options.classifierInit === "torch"
              ? { kind: "uniform", bound: 1 / Math.sqrt(dim) }
              : { kind: "normal", std: 0.001 },
          ...(options.classifierInit === "torch" ? {} : { biasInit: { kind: "constant", value: 0 } })
        })
      : undefined
  return {
    featureDim: dim,
    forward: (ctx, map) => {
      const pooled = pool(ctx, map)
      const features = embed === undefined ? pooled : embed(ctx, pooled)
      const neckFeatures = neck === undefined ? features : neck(ctx, features)
      return classifier === undefined
        ? { features, neckFeatures }
        : { features, neckFeatures, logits: classifier(ctx, neckFeatures) }
    }
  }
}
