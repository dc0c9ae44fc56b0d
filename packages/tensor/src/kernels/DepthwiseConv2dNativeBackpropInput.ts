/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm (missing from tfjs-backend-wasm 4.22).
 *
 * dx[n, h, w, c] = sum over m, kh, kw of dy[n, oh, ow, c*M + m] * W[kh, kw, c, m] where oh*s + kh*d = h + padTop.
 * dy is zero-dilated by the stride (two rank-3 pads, no strided ops), padded or cropped, and correlated with the
 * spatially flipped filter (dilation d) as a depthwise convolution over the C*M channels; the channel multiplier
 * is then summed out.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { cropNegative, pair } from "./padding.ts"
import { tensorOf, type WasmKernel } from "./WasmKernel.ts"

interface Attrs {
  readonly strides: number | [number, number]
  readonly dilations?: number | [number, number]
  readonly pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding
  readonly dimRoundingMode?: "floor" | "round" | "ceil"
  readonly inputShape: [number, number, number, number]
}

/** Inserts s-1 zeros after every row (and column) of an NHWC tensor: `[N, OH*sh, OW*sw, C]`. */
const zeroDilate = (dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D => {
  if (sh === 1 && sw === 1) return dy
  const [n, oh, ow, c] = dy.shape
  const rows =
    sh === 1
      ? dy
      : tf.pad(tf.reshape(dy, [n * oh, 1, ow * c]), [
          [0, 0],
          [0, sh - 1],
          [0, 0]
        ])
  const cols =
    sw === 1
      ? rows
      : tf.pad(tf.reshape(rows, [n * oh * sh * ow, 1, c]), [
          [0, 0],
          [0, sw - 1],
          [0, 0]
        ])
  return tf.reshape(cols, [n, oh * sh, ow * sw, c])
}

/** `W` flipped in both spatial axes and laid out as a multiplier-1 depthwise filter `[KH, KW, C*M, 1]` (one gather). */
const flippedFilter = (filter: tf.Tensor4D): tf.Tensor4D => {
  const [kh, kw, c, m] = filter.shape
  const index = new Int32Array(kh * kw)
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) index[a * kw + b] = (kh - 1 - a) * kw + (kw - 1 - b)
  const flipped = tf.gather(tf.reshape(filter, [kh * kw, c * m]), tf.tensor1d(index, "int32"))
  return tf.reshape(flipped, [kh, kw, c * m, 1])
}

/** The input gradient of a depthwise 2-D convolution (NHWC). */
export const depthwiseConv2dBackpropInput = (dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Attrs): tf.Tensor4D => {
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true
  )
  const [dh, dw] = pair(attrs.dilations)
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo } = info
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info
  const m = filter.shape[3]
  const dilated = zeroDilate(dy, sh, sw)
  const [hz, wz] = [dilated.shape[1], dilated.shape[2]]
  const [input, pad] = cropNegative(dilated, {
    top: (kh - 1) * dh - padInfo.top,
    bottom: h - hz + padInfo.top,
    left: (kw - 1) * dw - padInfo.left,
    right: w - wz + padInfo.left
  })
  const perChannel = tf.depthwiseConv2d(input, flippedFilter(filter), 1, pad, "NHWC", [dh, dw]) // [N, H, W, C*M]
  return m === 1 ? perChannel : tf.reshape(tf.sum(tf.reshape(perChannel, [n * h * w * c, m]), 1), [n, h, w, c])
}

export const DepthwiseConv2dNativeBackpropInput: WasmKernel = {
  kernelName: "DepthwiseConv2dNativeBackpropInput",
  summary: "missing on wasm; zero-dilated output gradient correlated with the flipped filter (depthwise conv)",
  make: () => (args) =>
    tf.tidy(() =>
      depthwiseConv2dBackpropInput(
        tensorOf<tf.Tensor4D>(args.inputs["dy"], "dy"),
        tensorOf<tf.Tensor4D>(args.inputs["filter"], "filter"),
        args.attrs as unknown as Attrs
      )
    )
}
