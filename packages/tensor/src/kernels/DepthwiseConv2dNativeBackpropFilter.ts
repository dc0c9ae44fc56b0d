/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm (missing from tfjs-backend-wasm 4.22).
 *
 * dW[kh, kw, c, m] = sum over n, oh, ow of x[n, oh*s + kh*d - padTop, ow*s + kw*d - padLeft, c] * dy[n, oh, ow, c*M + m].
 * The patches (im2col) come from one depthwise convolution of x with a one-hot filter of multiplier KH*KW (same
 * strides, dilations and padding as the forward op), then a per-channel batched matrix product with dy.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { tensorOf, type WasmKernel } from "./WasmKernel.ts"

interface Attrs {
  readonly strides: number | [number, number]
  readonly dilations?: number | [number, number]
  readonly pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding
  readonly dimRoundingMode?: "floor" | "round" | "ceil"
  readonly filterShape: [number, number, number, number]
}

/** `[KH, KW, C, KH*KW]` with a 1 where the output channel is the tap: a depthwise conv with it extracts patches. */
const oneHotTaps = (kh: number, kw: number, c: number): tf.Tensor4D => {
  const k = kh * kw
  const values = new Float32Array(k * c * k)
  for (let tap = 0; tap < k; tap++) for (let ch = 0; ch < c; ch++) values[(tap * c + ch) * k + tap] = 1
  return tf.tensor4d(values, [kh, kw, c, k])
}

/** The filter gradient of a depthwise 2-D convolution (NHWC). */
export const depthwiseConv2dBackpropFilter = (x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D => {
  const [kh, kw, c, m] = attrs.filterShape
  const k = kh * kw
  const patches = tf.depthwiseConv2d(
    x,
    oneHotTaps(kh, kw, c),
    attrs.strides,
    attrs.pad,
    "NHWC",
    attrs.dilations ?? 1,
    attrs.dimRoundingMode
  )
  const positions = patches.shape[0] * patches.shape[1] * patches.shape[2]
  const a = tf.transpose(tf.reshape(patches, [positions, c, k]), [1, 2, 0]) // [C, K, P]
  const b = tf.transpose(tf.reshape(dy, [positions, c, m]), [1, 0, 2]) // [C, P, M]
  const grad = tf.matMul(a, b) // [C, K, M]
  return tf.reshape(tf.transpose(grad, [1, 0, 2]), [kh, kw, c, m])
}

export const DepthwiseConv2dNativeBackpropFilter: WasmKernel = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  summary: "missing on wasm; patches by a one-hot depthwise convolution, then a per-channel batched matmul",
  make: () => (args) =>
    tf.tidy(() =>
      depthwiseConv2dBackpropFilter(
        tensorOf<tf.Tensor4D>(args.inputs["x"], "x"),
        tensorOf<tf.Tensor4D>(args.inputs["dy"], "dy"),
        args.attrs as unknown as Attrs
      )
    )
}
