/**
 * A fully connected layer `y = x W (+ b)` with `W` `[in, out]` (the Keras layout).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Builder, Forward, Init } from "./Builder.ts"

/** Options of a fully connected layer: sizes, bias and initialiser. */
export interface LinearOptions {
  readonly inFeatures: number
  readonly outFeatures: number
  readonly bias?: boolean
  readonly init?: Init
  /** Initial bias, when there is one (default: PyTorch's uniform(+-1/sqrt(in))). */
  readonly biasInit?: Init
}

/** Linear layer. Parameters: `kernel` `[in, out]`, `bias` `[out]` (default on). */
export const linear = (b: Builder, options: LinearOptions): Forward<tf.Tensor2D, tf.Tensor2D> => {
  const kernel = b.param(
    "kernel",
    [options.inFeatures, options.outFeatures],
    options.init ?? { kind: "heNormal", mode: "fanOut" },
    {
      fans: [options.inFeatures, options.outFeatures]
    }
  )
  const bias =
    options.bias === false
      ? undefined
      : b.param(
          "bias",
          [options.outFeatures],
          options.biasInit ?? { kind: "uniform", bound: 1 / Math.sqrt(options.inFeatures) }
        )
  return (ctx, x): tf.Tensor2D => {
    const y: tf.Tensor2D = tf.matMul(x, ctx.get(kernel) as tf.Tensor2D)
    return bias === undefined ? y : (tf.add(y, ctx.get(bias)) as tf.Tensor2D)
  }
}
