/**
 * `_FusedMatMul` for wasm (dense layers): like {@link BatchMatMul}, the transposed cases get an explicit transpose
 * first so that XNNPACK's fast path runs; the untransposed case is the stock kernel.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { transposeLast2 } from "./BatchMatMul.ts"
import { fallback, tensorOf, type WasmKernel } from "./WasmKernel.ts"

interface Attrs {
  readonly transposeA: boolean
  readonly transposeB: boolean
  readonly activation: tf.fused.Activation
  readonly leakyreluAlpha?: number
}

export const FusedMatMul: WasmKernel = {
  kernelName: "_FusedMatMul",
  summary: "replaces the transposed cases; explicit transpose, then the stock fused kernel",
  make: (original) => (args) => {
    const attrs = args.attrs as unknown as Attrs
    if (!attrs.transposeA && !attrs.transposeB)
      return fallback(original, "_FusedMatMul", "the untransposed product", args)
    return tf.tidy(() => {
      const a = tensorOf(args.inputs["a"], "a")
      const b = tensorOf(args.inputs["b"], "b")
      const bias = args.inputs["bias"] === undefined ? undefined : tensorOf(args.inputs["bias"], "bias")
      const prelu =
        args.inputs["preluActivationWeights"] === undefined
          ? undefined
          : tensorOf(args.inputs["preluActivationWeights"], "prelu")
      const at = attrs.transposeA ? transposeLast2(a) : a
      const bt = attrs.transposeB ? transposeLast2(b) : b
      return tf.engine().runKernel(
        "_FusedMatMul",
        {
          a: at,
          b: bt,
          ...(bias === undefined ? {} : { bias }),
          ...(prelu === undefined ? {} : { preluActivationWeights: prelu })
        },
        { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap
      ) as tf.Tensor
    })
  }
}
