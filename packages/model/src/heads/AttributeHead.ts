/**
 * An attribute head: independent binary attributes (hat, bag, short sleeves, clothing colours, ...) predicted
 * from the pooled global features by one linear layer, `attributeLogits = f W + b` (`[B, A]`), trained jointly
 * with the identity as in APR (Lin et al., "Improving Person Re-identification by Attribute and Identity
 * Learning", Pattern Recognition 2019: identity loss + the mean of the attribute losses) with the weighted
 * binary cross-entropy of `@reidfx/metric`'s `attributeBce`.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward } from "../nn/Builder.ts"
import { linear } from "../nn/Linear.ts"

/** Options of the attribute head. */
export interface AttributeHeadOptions {
  readonly inFeatures: number
  /** Number of binary attributes A. */
  readonly attributes: number
}

/** Builds the attribute head (parameters `kernel` `[D, A]`, `bias` `[A]`). */
export const attributeHead = (b: Builder, options: AttributeHeadOptions): Forward<tf.Tensor2D, tf.Tensor2D> =>
  linear(b, {
    inFeatures: options.inFeatures,
    outFeatures: options.attributes,
    init: { kind: "normal", std: 0.001 },
    biasInit: { kind: "constant", value: 0 }
  })
