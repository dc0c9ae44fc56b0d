/**
 * `Conv2DBackpropFilter` for wasm (missing from tfjs-backend-wasm 4.22).
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n, oh, ow, co].
 * This is one ordinary convolution: the input transposed to `[Cin, H, W, N]` (batch Cin, channels N) with the
 * output gradient transposed to `[OH, OW, N, Cout]` as filter, stride 1 and dilation = the forward stride, with
 * the padding adjusted (or the input cropped) so the result is exactly `[Cin, KH, KW, Cout]`; a transpose gives the
 * filter layout. It runs on XNNPACK's convolution (about 1.5-2x a forward conv).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { cropNegative } from "./padding.ts"
import { tensorOf, type WasmKernel } from "./WasmKernel.ts"

interface Attrs {
  readonly strides: number | [number, number]
  readonly pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding
  readonly dataFormat?: "NHWC" | "NCHW"
  readonly dimRoundingMode?: "floor" | "round" | "ceil"
  readonly filterShape: [number, number, number, number]
}

/** The filter gradient of a 2-D convolution (NHWC), computed as one convolution. */
export const conv2dBackpropFilter = (x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Attrs): tf.Tensor4D => {
  const nchw = attrs.dataFormat === "NCHW"
  const xs = nchw ? tf.transpose(x, [0, 2, 3, 1]) : x
  const dys = nchw ? tf.transpose(dy, [0, 2, 3, 1]) : dy
  const info = tf.backend_util.computeConv2DInfo(
    xs.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode
  )
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info
  const { outHeight: oh, outWidth: ow, padInfo } = info
  // [Cin, H, W, N]; as a rank-3 transpose, which wasm runs faster than the equivalent rank-4 one
  const xT = tf.reshape(tf.transpose(tf.reshape(xs, [info.batchSize, h * w, info.inChannels]), [2, 1, 0]), [
    info.inChannels,
    h,
    w,
    info.batchSize
  ]) as tf.Tensor4D
  // [OH, OW, N, Cout], also as a rank-3 transpose (3x less CPU on wasm than the rank-4 one)
  const dyT = tf.reshape(tf.transpose(tf.reshape(dys, [info.batchSize, oh * ow, info.outChannels]), [1, 0, 2]), [
    oh,
    ow,
    info.batchSize,
    info.outChannels
  ]) as tf.Tensor4D
  const [input, pad] = cropNegative(xT, {
    top: padInfo.top,
    bottom: kh - h - padInfo.top + (oh - 1) * sh,
    left: padInfo.left,
    right: kw - w - padInfo.left + (ow - 1) * sw
  })
  const out = tf.conv2d(input, dyT, 1, pad, "NHWC", [sh, sw]) // [Cin, KH, KW, Cout]
  return tf.transpose(out, [1, 2, 0, 3])
}

export const Conv2DBackpropFilter: WasmKernel = {
  kernelName: "Conv2DBackpropFilter",
  summary: "missing on wasm; one stride-1 convolution of the transposed input with the transposed output gradient",
  make: () => (args) =>
    tf.tidy(() =>
      conv2dBackpropFilter(
        tensorOf<tf.Tensor4D>(args.inputs["x"], "x"),
        tensorOf<tf.Tensor4D>(args.inputs["dy"], "dy"),
        args.attrs as unknown as Attrs
      )
    )
}
