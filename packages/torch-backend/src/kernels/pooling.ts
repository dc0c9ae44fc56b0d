/**
 * 2-D max and average pooling and their gradients. Max pooling pads asymmetric "same" padding with -inf first;
 * its gradient recomputes the argmax with `max_pool2d_with_indices` and routes dy with ATen's fused
 * `max_pool2d_with_indices_backward` (ties go to the first maximum in the window, as in the cpu backend's
 * forward). Average pooling excludes padding from the count (tfjs semantics), while its gradient divides by the
 * whole window as tfjs's AvgPoolGrad does; asymmetric padding falls back to the cpu kernels.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { kernel, need, type TorchKernel, toNCHW, toNHWC } from "./define.ts"

const poolInfo = (xShape: ReadonlyArray<number>, attrs: Record<string, unknown>) =>
  tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs["filterSize"] as number | [number, number],
    attrs["strides"] as number | [number, number],
    1,
    attrs["pad"] as "same" | "valid" | number,
    attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined
  )

type PoolInfo = ReturnType<typeof poolInfo>

const kernelSize = (i: PoolInfo) => [i.filterHeight, i.filterWidth]
const strides = (i: PoolInfo) => [i.strideHeight, i.strideWidth]
const symmetric = (i: PoolInfo) => i.padInfo.top === i.padInfo.bottom && i.padInfo.left === i.padInfo.right
/** ATen's pooling takes padding up to half the window. */
const atenPadding = (i: PoolInfo) =>
  symmetric(i) && 2 * i.padInfo.top <= i.filterHeight && 2 * i.padInfo.left <= i.filterWidth

/** NCHW input padded with -inf where tfjs pads (so ATen pools without padding). */
const paddedForMax = (b: TorchBackend, x: Handle, i: PoolInfo): Handle => {
  const { top, bottom, left, right } = i.padInfo
  const nchw = toNCHW(b, x)
  return top + bottom + left + right === 0
    ? nchw
    : b.op("aten::constant_pad_nd", nchw, [left, right, top, bottom], Number.NEGATIVE_INFINITY)
}

export const poolingKernels: ReadonlyArray<TorchKernel> = [
  kernel("MaxPool", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const i = poolInfo(x.shape, attrs)
    const y = b.op("aten::max_pool2d", paddedForMax(b, b.input(x), i), kernelSize(i), strides(i), [0, 0], [1, 1], false)
    return b.output(toNHWC(b, y), x.dtype)
  }),
  kernel("MaxPoolGrad", (b, inputs, attrs) => {
    const dy = need(inputs, "dy")
    const x = need(inputs, "input")
    const i = poolInfo(x.shape, attrs)
    const padded = paddedForMax(b, b.input(x), i)
    const [, indices] = b.ops2(
      "aten::max_pool2d_with_indices",
      padded,
      kernelSize(i),
      strides(i),
      [0, 0],
      [1, 1],
      false
    ) as [Handle, Handle]
    let dx = b.op(
      "aten::max_pool2d_with_indices_backward",
      toNCHW(b, b.input(dy)),
      padded,
      kernelSize(i),
      strides(i),
      [0, 0],
      [1, 1],
      false,
      indices
    )
    const { top, left } = i.padInfo
    if (i.padInfo.top + i.padInfo.bottom + i.padInfo.left + i.padInfo.right > 0) {
      dx = b.op("aten::narrow", b.op("aten::narrow", dx, 2, top, i.inHeight), 3, left, i.inWidth)
    }
    return b.output(toNHWC(b, dx), "float32")
  }),
  kernel("AvgPool", (b, inputs, attrs, fallback) => {
    const x = need(inputs, "x")
    const i = poolInfo(x.shape, attrs)
    if (!atenPadding(i)) return fallback()
    const y = b.op(
      "aten::avg_pool2d",
      toNCHW(b, b.input(x)),
      kernelSize(i),
      strides(i),
      [i.padInfo.top, i.padInfo.left],
      false,
      false,
      null
    )
    return b.output(toNHWC(b, y), "float32")
  }),
  kernel("AvgPoolGrad", (b, inputs, attrs, fallback) => {
    const dy = need(inputs, "dy")
    const x = need(inputs, "input")
    const i = poolInfo(x.shape, attrs)
    if (!atenPadding(i)) return fallback()
    const dx = b.op(
      "aten::avg_pool2d_backward",
      toNCHW(b, b.input(dy)),
      toNCHW(b, b.input(x)),
      kernelSize(i),
      strides(i),
      [i.padInfo.top, i.padInfo.left],
      false,
      // tfjs's AvgPoolGrad divides by the whole window (1 / (fh * fw)) even where its forward excluded padding;
      // the same here, so the gradient is tfjs's
      true,
      null
    )
    return b.output(toNHWC(b, dx), "float32")
  })
]
