/**
 * `Conv2DBackpropInput` for wasm: replaces the stock kernel (a naive loop, 10-13x a forward conv) by a sub-pixel
 * (phase) decomposition that runs on XNNPACK's convolution.
 *
 * With stride s, dx[h] = sum over kh, oh with oh*s + kh = h + padTop of dy[oh] * W[kh]. Writing h + padTop = q*s + r,
 * the taps that reach phase r are kh = r + j*s, so every phase is a stride-1 correlation of dy with a flipped
 * sub-filter of J = ceil(K / s) taps. All s*s phases run as ONE stride-1 convolution whose output has s*s*Cin
 * channels; a reshape-transpose interleaves the phases back into rows and columns, and a contiguous slice
 * removes the forward padding. With stride 1 it is the usual convolution with the flipped, transposed filter.
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
  readonly inputShape: [number, number, number, number]
}

/**
 * The phase filter `[Jh, Jw, Cout, sh*sw*Cin]`: entry (jh, jw, co, (rh, rw, ci)) is
 * W[rh + (Jh-1-jh)*sh, rw + (Jw-1-jw)*sw, ci, co], or 0 past the filter's edge. The taps are selected by one
 * product with a constant 0/1 matrix (wasm's Gather and Reverse are slow element loops; XNNPACK's matmul is not).
 */
export const phaseFilter = (filter: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D => {
  const [kh, kw, cin, cout] = filter.shape
  const jh = Math.ceil(kh / sh)
  const jw = Math.ceil(kw / sw)
  const taps = kh * kw
  const rows = jh * jw * sh * sw
  const select = new Float32Array(rows * taps)
  let i = 0
  for (let a = 0; a < jh; a++) {
    for (let b = 0; b < jw; b++) {
      for (let rh = 0; rh < sh; rh++) {
        for (let rw = 0; rw < sw; rw++) {
          const th = rh + (jh - 1 - a) * sh
          const tw = rw + (jw - 1 - b) * sw
          if (th < kh && tw < kw) select[i * taps + th * kw + tw] = 1
          i++
        }
      }
    }
  }
  const swapped = tf.transpose(tf.reshape(filter, [taps, cin, cout]), [0, 2, 1]) // [K, Cout, Cin]
  const selected = tf.matMul(tf.tensor2d(select, [rows, taps]), tf.reshape(swapped, [taps, cout * cin])) // [Jh*Jw*sh*sw, Cout*Cin]
  const arranged =
    sh * sw === 1 ? selected : tf.transpose(tf.reshape(selected, [jh * jw, sh * sw, cout, cin]), [0, 2, 1, 3]) // [Jh*Jw, Cout, sh*sw, Cin]
  return tf.reshape(arranged, [jh, jw, cout, sh * sw * cin])
}

/** The input gradient of a 2-D convolution (NHWC), computed as one stride-1 convolution plus an interleave. */
export const conv2dBackpropInput = (dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: Attrs): tf.Tensor4D => {
  const nchw = attrs.dataFormat === "NCHW"
  const dys = nchw ? tf.transpose(dy, [0, 2, 3, 1]) : dy
  const shape = attrs.inputShape
  const inputShape: [number, number, number, number] = nchw ? [shape[0], shape[2], shape[3], shape[1]] : shape
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode
  )
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: oh, outWidth: ow, padInfo } = info
  const jh = Math.ceil(kh / sh)
  const jw = Math.ceil(kw / sw)
  const qh = Math.ceil((padInfo.top + h) / sh)
  const qw = Math.ceil((padInfo.left + w) / sw)
  // Only phase rows q >= q0 reach dx; starting there makes stride 1 need no slice at all.
  const qh0 = Math.floor(padInfo.top / sh)
  const qw0 = Math.floor(padInfo.left / sw)
  const [input, pad] = cropNegative(dys, { top: jh - 1 - qh0, bottom: qh - oh, left: jw - 1 - qw0, right: qw - ow })
  const phases = tf.conv2d(input, phaseFilter(filter, sh, sw), 1, pad) // [N, Qh - qh0, Qw - qw0, sh*sw*Cin]
  const rows = qh - qh0
  const cols = qw - qw0
  const interleaved: tf.Tensor4D =
    sh === 1 && sw === 1
      ? phases
      : tf.reshape(tf.transpose(tf.reshape(phases, [n * rows, cols, sh, sw * cin]), [0, 2, 1, 3]), [
          n,
          rows * sh,
          cols * sw,
          cin
        ])
  const top = padInfo.top - qh0 * sh
  const left = padInfo.left - qw0 * sw
  const dx =
    top === 0 && left === 0 && rows * sh === h && cols * sw === w
      ? interleaved
      : tf.slice(interleaved, [0, top, left, 0], [n, h, w, cin])
  return nchw ? tf.transpose(dx, [0, 3, 1, 2]) : dx
}

export const Conv2DBackpropInput: WasmKernel = {
  kernelName: "Conv2DBackpropInput",
  summary: "replaces the stock naive loop; sub-pixel (phase) decomposition into one stride-1 convolution",
  make: () => (args) =>
    tf.tidy(() =>
      conv2dBackpropInput(
        tensorOf<tf.Tensor4D>(args.inputs["dy"], "dy"),
        tensorOf<tf.Tensor4D>(args.inputs["filter"], "filter"),
        args.attrs as unknown as Attrs
      )
    )
}
