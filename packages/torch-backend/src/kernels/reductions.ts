/**
 * Reductions (sum, mean, max, min, prod, all, any), arg-reductions, softmax, top-k and cumulative sums.
 * tfjs gives axes that may be negative or empty (an empty list reduces nothing; ATen would reduce everything).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { kernel, need, type TorchKernel } from "./define.ts"

const axesOf = (x: tf.TensorInfo, attrs: Record<string, unknown>): Array<number> =>
  tf.util.parseAxisParam((attrs["axis"] ?? attrs["reductionIndices"]) as number | Array<number>, x.shape)

const keepDims = (attrs: Record<string, unknown>) => attrs["keepDims"] === true

/** The output shape of a reduction. */
const reducedShape = (shape: ReadonlyArray<number>, axes: ReadonlyArray<number>, keep: boolean) =>
  keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i))

/** A reduction over several axes by an operator that takes an axis list (`dim_IntList`-style). */
const reduction = (
  kernelName: string,
  op: string,
  outDType: (x: tf.TensorInfo) => tf.DataType,
  prepare?: (b: TorchBackend, x: tf.TensorInfo) => Handle
) =>
  kernel(kernelName, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const axes = axesOf(x, attrs)
    const keep = keepDims(attrs)
    const h = prepare === undefined ? b.input(x) : prepare(b, x)
    if (axes.length === 0) return b.output(b.op("aten::clone", h), outDType(x))
    if (x.shape.length === 0) return b.output(b.op("aten::clone", h), outDType(x))
    return b.output(b.op(op, h, axes, keep), outDType(x))
  })

/** A reduction by an operator that takes one axis: applied axis by axis (keeping dims, then reshaped). */
const oneAxisReduction = (kernelName: string, op: string, outDType: (x: tf.TensorInfo) => tf.DataType) =>
  kernel(kernelName, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const axes = axesOf(x, attrs)
    const keep = keepDims(attrs)
    let h = b.input(x)
    for (const axis of axes) h = b.op(op, h, axis, true)
    return b.output(b.op("aten::reshape", h, reducedShape(x.shape, axes, keep)), outDType(x))
  })

const sumType = (x: tf.TensorInfo): tf.DataType => (x.dtype === "bool" ? "int32" : x.dtype)
const same = (x: tf.TensorInfo): tf.DataType => x.dtype

const argReduction = (kernelName: string, op: string) =>
  kernel(kernelName, (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const axis = tf.util.parseAxisParam(attrs["axis"] as number | Array<number>, x.shape)[0]!
    return b.output(b.op(op, b.input(x), axis, false), "int32")
  })

export const reductionKernels: ReadonlyArray<TorchKernel> = [
  reduction("Sum", "aten::sum.dim_IntList", sumType),
  reduction(
    "Mean",
    "aten::mean.dim",
    () => "float32",
    (b, x) => (x.dtype === "float32" ? b.input(x) : b.cast(b.input(x), "float32"))
  ),
  reduction("Max", "aten::amax", same),
  reduction("Min", "aten::amin", same),
  oneAxisReduction("Prod", "aten::prod.dim_int", sumType),
  oneAxisReduction("All", "aten::all.dim", () => "bool"),
  oneAxisReduction("Any", "aten::any.dim", () => "bool"),
  argReduction("ArgMax", "aten::argmax"),
  argReduction("ArgMin", "aten::argmin"),
  kernel("Softmax", (b, inputs, attrs) => {
    const logits = need(inputs, "logits")
    const dim = (attrs["dim"] as number | undefined) ?? -1
    return b.output(b.op("aten::_softmax", b.input(logits), dim, false), "float32")
  }),
  kernel("TopK", (b, inputs, attrs) => {
    // a stable descending sort keeps the lower index first among ties, as tfjs's topk does
    const x = need(inputs, "x")
    const k = attrs["k"] as number
    const [values, indices] = b.ops2("aten::sort.stable", b.input(x), true, -1, true) as [Handle, Handle]
    const last = x.shape.length - 1
    return [
      b.output(b.op("aten::narrow", values, last, 0, k), x.dtype),
      b.output(b.op("aten::narrow", indices, last, 0, k), "int32")
    ]
  }),
  kernel("Cumsum", (b, inputs, attrs, fallback) => {
    const x = need(inputs, "x")
    if (attrs["exclusive"] === true || attrs["reverse"] === true) return fallback()
    return b.output(b.op("aten::cumsum", b.input(x), attrs["axis"] as number, null), sumType(x))
  })
]
