/**
 * Shared geometry for the convolution kernels: padding that may be negative (a crop) on NHWC tensors.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** Padding of the two spatial dimensions; a negative entry removes that many rows or columns. */
export interface SpatialPads {
  readonly top: number
  readonly bottom: number
  readonly left: number
  readonly right: number
}

/** Explicit NHWC padding in the form tfjs convolutions accept. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]]

/**
 * Crops the negative pads off an NHWC tensor (a contiguous rank-4 slice, fast on wasm) and returns the
 * cropped tensor with the remaining non-negative pads as explicit convolution padding.
 */
export const cropNegative = (x: tf.Tensor4D, pads: SpatialPads): readonly [tf.Tensor4D, ExplicitPadding] => {
  const [n, h, w, c] = x.shape
  const cropTop = Math.max(0, -pads.top)
  const cropBottom = Math.max(0, -pads.bottom)
  const cropLeft = Math.max(0, -pads.left)
  const cropRight = Math.max(0, -pads.right)
  const cropped =
    cropTop + cropBottom + cropLeft + cropRight === 0
      ? x
      : tf.slice(x, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c])
  return [
    cropped,
    [
      [0, 0],
      [Math.max(0, pads.top), Math.max(0, pads.bottom)],
      [Math.max(0, pads.left), Math.max(0, pads.right)],
      [0, 0]
    ]
  ]
}

/** Strides or dilations given as a number or a pair, as a pair. */
export const pair = (value: number | ReadonlyArray<number> | undefined, fallback = 1): readonly [number, number] =>
  value === undefined
    ? [fallback, fallback]
    : typeof value === "number"
      ? [value, value]
      : [value[0] ?? fallback, value[1] ?? value[0] ?? fallback]
