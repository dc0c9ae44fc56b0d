/**
 * 2-D convolutions (regular and depthwise, plain and fused with bias and activation) and both gradients, through
 * ATen's `conv2d` and its fused `convolution_backward` (oneDNN / MKL-DNN on CPU, cuDNN on CUDA).
 *
 * tfjs is NHWC with filters [fh, fw, in, out] (depthwise: [fh, fw, in, multiplier]); ATen is NCHW with weights
 * [out, in / groups, fh, fw]. Both conversions are permuted views: an NHWC tensor viewed as NCHW has channels-last
 * strides, which ATen's CPU convolutions take as they are, and their channels-last result viewed back as NHWC is
 * contiguous. tfjs's asymmetric "same" padding (more at the bottom / right) is done by padding the input first;
 * symmetric padding goes to the convolution. Gradients are asked of `convolution_backward` with the output mask
 * of the one gradient needed; the tensor it only needs the shape of is an uninitialised `new_empty`.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { activate, kernel, need, type TorchKernel, toNCHW, toNHWC } from "./define.ts"

type Conv2DInfo = tf.backend_util.Conv2DInfo
type Format = "NHWC" | "NCHW"

interface Geometry {
  readonly info: Conv2DInfo
  readonly channelsLast: boolean
  /** Symmetric padding given to the convolution. */
  readonly padding: [number, number]
  /** Asymmetric padding done on the input first: [left, right, top, bottom] (undefined when symmetric). */
  readonly prePad: [number, number, number, number] | undefined
  readonly groups: number
}

const geometry = (
  xShape: ReadonlyArray<number>,
  filterShape: ReadonlyArray<number>,
  attrs: Record<string, unknown>,
  depthwise: boolean
): Geometry => {
  const format = ((attrs["dataFormat"] as Format | undefined) ?? "NHWC") as Format
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs["strides"] as number | [number, number],
    (attrs["dilations"] as number | [number, number] | undefined) ?? 1,
    attrs["pad"] as "same" | "valid" | number,
    attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(format)
  )
  const { top, bottom, left, right } = info.padInfo
  const symmetric = top === bottom && left === right
  return {
    info,
    channelsLast: format === "NHWC",
    padding: symmetric ? [top, left] : [0, 0],
    prePad: symmetric ? undefined : [left, right, top, bottom],
    groups: depthwise ? info.inChannels : 1
  }
}

const stride = (g: Geometry) => [g.info.strideHeight, g.info.strideWidth]
const dilation = (g: Geometry) => [g.info.dilationHeight, g.info.dilationWidth]

/** The input as NCHW, padded when the padding is asymmetric. */
const inputNCHW = (b: TorchBackend, x: Handle, g: Geometry): Handle => {
  const nchw = g.channelsLast ? toNCHW(b, x) : x
  return g.prePad === undefined ? nchw : b.op("aten::constant_pad_nd", nchw, g.prePad, 0)
}

/** The NCHW shape of the (padded) input. */
const paddedShape = (g: Geometry): [number, number, number, number] => {
  const [l, r, t, bo] = g.prePad ?? [0, 0, 0, 0]
  return [g.info.batchSize, g.info.inChannels, g.info.inHeight + t + bo, g.info.inWidth + l + r]
}

/** A tfjs filter as an ATen weight. */
const weightOf = (b: TorchBackend, filter: Handle, g: Geometry, depthwise: boolean): Handle => {
  if (!depthwise) return b.op("aten::permute", filter, [3, 2, 0, 1])
  const { filterHeight, filterWidth, outChannels } = g.info
  const flat = b.op("aten::reshape", filter, [filterHeight, filterWidth, outChannels])
  return b.op("aten::unsqueeze", b.op("aten::permute", flat, [2, 0, 1]), 1)
}

/** An ATen weight gradient as a tfjs filter gradient. */
const filterOf = (b: TorchBackend, weight: Handle, g: Geometry, depthwise: boolean): Handle => {
  if (!depthwise) return b.op("aten::permute", weight, [2, 3, 1, 0])
  const { filterHeight, filterWidth, inChannels, outChannels } = g.info
  const hwc = b.op("aten::permute", b.op("aten::squeeze.dim", weight, 1), [1, 2, 0])
  return b.op("aten::reshape", hwc, [filterHeight, filterWidth, inChannels, outChannels / inChannels])
}

/** An NCHW result in the kernel's data format. */
const fromNCHW = (b: TorchBackend, y: Handle, g: Geometry) => (g.channelsLast ? toNHWC(b, y) : y)

/** The forward convolution (with optional bias, in ATen's fused call). */
const convolve = (
  b: TorchBackend,
  x: Handle,
  filter: Handle,
  bias: Handle | null,
  g: Geometry,
  depthwise: boolean
): Handle =>
  fromNCHW(
    b,
    b.op(
      "aten::conv2d",
      inputNCHW(b, x, g),
      weightOf(b, filter, g, depthwise),
      bias,
      stride(g),
      g.padding,
      dilation(g),
      g.groups
    ),
    g
  )

const conv = (kernelName: string, depthwise: boolean, fused: boolean): TorchKernel =>
  kernel(kernelName, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const filter = need(inputs, "filter")
    const g = geometry(x.shape, filter.shape, attrs, depthwise)
    const biasInfo = fused ? inputs["bias"] : undefined
    // the bias is fused into conv2d when it is per channel
    const perChannelBias = biasInfo != null && tf.util.sizeFromShape(biasInfo.shape) === g.info.outChannels
    const bias = perChannelBias ? b.op("aten::reshape", b.input(biasInfo), [-1]) : null
    let y = convolve(b, b.input(x), b.input(filter), bias, g, depthwise)
    if (biasInfo != null && !perChannelBias) y = b.op("aten::add.Tensor", y, b.input(biasInfo))
    if (fused) {
      const prelu = inputs["preluActivationWeights"]
      y = activate(
        b,
        y,
        attrs["activation"],
        attrs["leakyreluAlpha"] as number | undefined,
        prelu == null ? undefined : b.input(prelu)
      )
    }
    return b.output(y, "float32")
  })

/** dL/dx: the input gradient of the convolution (cut back to the unpadded input when padded first). */
const inputGradient = (kernelName: string, depthwise: boolean): TorchKernel =>
  kernel(kernelName, (b, inputs, attrs) => {
    const dy = need(inputs, "dy")
    const filter = need(inputs, "filter")
    const inputShape = attrs["inputShape"] as Array<number>
    const g = geometry(inputShape, filter.shape, attrs, depthwise)
    const [n, c, h, w] = paddedShape(g)
    // an uninitialised input of the padded shape, in the layout of the real one (only its shape is read)
    const fake = g.channelsLast
      ? toNCHW(b, b.op("aten::new_empty", b.input(dy), [n, h, w, c]))
      : b.op("aten::new_empty", b.input(dy), [n, c, h, w])
    const dyNCHW = g.channelsLast ? toNCHW(b, b.input(dy)) : b.input(dy)
    const [dx] = b.ops2(
      "aten::convolution_backward",
      dyNCHW,
      fake,
      // ATen's slow (non-oneDNN) path wants a contiguous weight
      b.op("aten::contiguous", weightOf(b, b.input(filter), g, depthwise), 0),
      null,
      stride(g),
      g.padding,
      dilation(g),
      false,
      [0, 0],
      g.groups,
      [true, false, false]
    ) as [Handle]
    let grad = dx
    if (g.prePad !== undefined) {
      const [left, , top] = g.prePad
      grad = b.op("aten::narrow", b.op("aten::narrow", grad, 2, top, g.info.inHeight), 3, left, g.info.inWidth)
    }
    return b.output(fromNCHW(b, grad, g), "float32")
  })

/** dL/dfilter: the filter gradient of the convolution. */
const filterGradient = (kernelName: string, depthwise: boolean): TorchKernel =>
  kernel(kernelName, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const dy = need(inputs, "dy")
    const filterShape = attrs["filterShape"] as [number, number, number, number]
    const g = geometry(x.shape, filterShape, attrs, depthwise)
    // an uninitialised contiguous weight of the right shape (only its shape is read)
    const { filterHeight, filterWidth, inChannels, outChannels } = g.info
    const fakeWeight = b.op("aten::new_empty", b.input(x), [
      outChannels,
      inChannels / g.groups,
      filterHeight,
      filterWidth
    ])
    const dyNCHW = g.channelsLast ? toNCHW(b, b.input(dy)) : b.input(dy)
    const [, dw] = b.ops2(
      "aten::convolution_backward",
      dyNCHW,
      inputNCHW(b, b.input(x), g),
      fakeWeight,
      null,
      stride(g),
      g.padding,
      dilation(g),
      false,
      [0, 0],
      g.groups,
      [false, true, false]
    ) as [Handle, Handle]
    return b.output(filterOf(b, dw, g, depthwise), "float32")
  })

export const convolutionKernels: ReadonlyArray<TorchKernel> = [
  conv("Conv2D", false, false),
  conv("FusedConv2D", false, true),
  conv("DepthwiseConv2dNative", true, false),
  conv("FusedDepthwiseConv2D", true, true),
  inputGradient("Conv2DBackpropInput", false),
  inputGradient("DepthwiseConv2dNativeBackpropInput", true),
  filterGradient("Conv2DBackpropFilter", false),
  filterGradient("DepthwiseConv2dNativeBackpropFilter", true)
]
