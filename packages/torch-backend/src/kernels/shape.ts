/**
 * Kernels that move data: reshape, transpose, slice, concat, stack/unstack, split, pad, tile, reverse, broadcast,
 * gather, segment sums, one-hot, fill and range. Reshape and Identity share the input's data (no copy); transpose
 * and slices return ATen views.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import { kernel, listOf, need, type TorchKernel } from "./define.ts"

export const shapeKernels: ReadonlyArray<TorchKernel> = [
  kernel("Reshape", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const shape = tf.util.inferFromImplicitShape(attrs["shape"] as Array<number>, tf.util.sizeFromShape(x.shape))
    return b.share(x, shape)
  }),
  kernel("Identity", (b, inputs) => {
    const x = need(inputs, "x")
    return b.share(x, x.shape)
  }),
  kernel("Transpose", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::permute", b.input(x), attrs["perm"] as Array<number>), x.dtype)
  }),
  kernel("Slice", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const [begin, size] = tf.slice_util.parseSliceParams(
      x,
      attrs["begin"] as Array<number>,
      attrs["size"] as Array<number>
    ) as [Array<number>, Array<number>]
    let h = b.input(x)
    for (let d = 0; d < x.shape.length; d++) {
      if (begin[d] !== 0 || size[d] !== x.shape[d]) h = b.op("aten::narrow", h, d, begin[d]!, size[d]!)
    }
    return b.output(h, x.dtype)
  }),
  kernel("Concat", (b, inputs, attrs) => {
    const list = listOf(inputs)
    const axis = tf.util.parseAxisParam(attrs["axis"] as number, list[0]!.shape)[0]!
    if (list.length === 1) return b.output(b.input(list[0]!), list[0]!.dtype)
    return b.output(
      b.op(
        "aten::cat",
        list.map((t) => b.input(t)),
        axis
      ),
      list[0]!.dtype
    )
  }),
  kernel("Pack", (b, inputs, attrs) => {
    const list = listOf(inputs)
    return b.output(
      b.op(
        "aten::stack",
        list.map((t) => b.input(t)),
        attrs["axis"] as number
      ),
      list[0]!.dtype
    )
  }),
  kernel("Unpack", (b, inputs, attrs) => {
    const value = need(inputs, "value")
    const parts = b.call("aten::unbind.int", b.input(value), attrs["axis"] as number) as ReadonlyArray<Handle>
    return parts.map((p) => b.output(p, value.dtype))
  }),
  kernel("SplitV", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const axis = tf.util.parseAxisParam(attrs["axis"] as number, x.shape)[0]!
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      attrs["numOrSizeSplits"] as number | Array<number>,
      axis
    )
    const parts = b.call("aten::split_with_sizes", b.input(x), sizes, axis) as ReadonlyArray<Handle>
    return parts.map((p) => b.output(p, x.dtype))
  }),
  kernel("PadV2", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const paddings = attrs["paddings"] as Array<[number, number]>
    const pad = [...paddings].reverse().flat()
    return b.output(b.op("aten::constant_pad_nd", b.input(x), pad, attrs["constantValue"] as number), x.dtype)
  }),
  kernel("Tile", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::repeat", b.input(x), attrs["reps"] as Array<number>), x.dtype)
  }),
  kernel("Reverse", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const dims = tf.util.parseAxisParam(attrs["dims"] as number | Array<number>, x.shape)
    if (dims.length === 0) return b.share(x, x.shape)
    return b.output(b.op("aten::flip", b.input(x), dims), x.dtype)
  }),
  kernel("BroadcastTo", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const shape = attrs["shape"] as Array<number>
    const lifted = b.op("aten::reshape", b.input(x), [
      ...shape.slice(0, shape.length - x.shape.length).map(() => 1),
      ...x.shape
    ])
    return b.output(b.op("aten::contiguous", b.op("aten::expand", lifted, shape, false), 0), x.dtype)
  }),
  kernel("GatherV2", (b, inputs, attrs, fallback) => {
    const x = need(inputs, "x")
    const indices = need(inputs, "indices")
    if (((attrs["batchDims"] as number | undefined) ?? 0) !== 0) return fallback()
    const axis = tf.util.parseAxisParam(attrs["axis"] as number, x.shape)[0]!
    const flat = b.op("aten::reshape", b.input(indices), [-1])
    const picked = b.op("aten::index_select", b.input(x), axis, flat)
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)]
    return b.output(b.op("aten::reshape", picked, shape), x.dtype)
  }),
  kernel("UnsortedSegmentSum", (b, inputs, attrs) => {
    // out[s] = sum of x[i] over i with segmentIds[i] = s (ids outside [0, numSegments) are dropped, as in tfjs)
    const x = need(inputs, "x")
    const ids = need(inputs, "segmentIds")
    const numSegments = attrs["numSegments"] as number
    const rest = x.shape.slice(ids.shape.length)
    const flatIds = b.op("aten::reshape", b.input(ids), [-1])
    const rows = b.op("aten::reshape", b.input(x), [-1, ...rest])
    const valid = b.op(
      "aten::logical_and",
      b.op("aten::ge.Scalar", flatIds, 0),
      b.op("aten::lt.Scalar", flatIds, numSegments)
    )
    const keptIds = b.op("aten::masked_select", flatIds, valid)
    const keptRows = b.op("aten::index.Tensor", rows, [valid])
    const zeros = b.op("aten::new_zeros", rows, [numSegments, ...rest])
    return b.output(b.op("aten::index_add", zeros, 0, keptIds, keptRows, 1), x.dtype)
  }),
  kernel("OneHot", (b, inputs, attrs) => {
    const indices = need(inputs, "indices")
    const depth = attrs["depth"] as number
    const dtype = attrs["dtype"] as tf.DataType
    const range = b.constant(
      Int32Array.from({ length: depth }, (_, i) => i),
      [depth],
      "int32"
    )
    const hot = b.op("aten::eq.Tensor", b.op("aten::unsqueeze", b.input(indices), -1), range)
    const values = b.op("aten::where.Scalar", hot, attrs["onValue"] as number, attrs["offValue"] as number)
    return b.output(values, dtype)
  }),
  kernel("Fill", (b, _inputs, attrs) => {
    const shape = attrs["shape"] as Array<number>
    const dtype = (attrs["dtype"] as tf.DataType | undefined) ?? "float32"
    const value = attrs["value"] as number
    const size = tf.util.sizeFromShape(shape)
    if (dtype === "string")
      return b.outputValues(
        Array.from({ length: size }, () => tf.util.encodeString(String(value))),
        shape,
        dtype
      )
    const values =
      dtype === "int32"
        ? new Int32Array(size).fill(value)
        : dtype === "bool"
          ? new Uint8Array(size).fill(value ? 1 : 0)
          : new Float32Array(size).fill(value)
    return b.outputValues(values, shape, dtype)
  })
]
