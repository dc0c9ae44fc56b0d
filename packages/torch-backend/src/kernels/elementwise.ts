/**
 * Element-wise kernels: unary math, binary arithmetic with broadcasting (ATen broadcasts like NumPy, as tfjs does),
 * comparisons and logic, select, clip, activations and their gradients.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"
import { kernel, need, type TorchKernel } from "./define.ts"

const float = (b: TorchBackend, x: tf.TensorInfo): Handle =>
  x.dtype === "float32" ? b.input(x) : b.cast(b.input(x), "float32")

/** A unary kernel with output dtype `same` as its input or float32 (transcendental functions). */
const unary = (kernelName: string, op: string, out: "same" | "float32" = "same"): TorchKernel =>
  kernel(kernelName, (b, inputs) => {
    const x = need(inputs, "x")
    const h = out === "float32" ? float(b, x) : b.input(x)
    return b.output(b.op(op, h), out === "float32" ? "float32" : x.dtype)
  })

const unaryKernels: Array<TorchKernel> = [
  unary("Abs", "aten::abs"),
  unary("Neg", "aten::neg"),
  unary("Sign", "aten::sign"),
  unary("Floor", "aten::floor"),
  unary("Ceil", "aten::ceil"),
  unary("Round", "aten::round"),
  unary("Square", "aten::square"),
  unary("Relu", "aten::relu"),
  unary("Exp", "aten::exp", "float32"),
  unary("Expm1", "aten::expm1", "float32"),
  unary("Log", "aten::log", "float32"),
  unary("Log1p", "aten::log1p", "float32"),
  unary("Sqrt", "aten::sqrt", "float32"),
  unary("Rsqrt", "aten::rsqrt", "float32"),
  unary("Reciprocal", "aten::reciprocal", "float32"),
  unary("Sigmoid", "aten::sigmoid", "float32"),
  unary("Tanh", "aten::tanh", "float32"),
  unary("Sin", "aten::sin", "float32"),
  unary("Cos", "aten::cos", "float32"),
  unary("Tan", "aten::tan", "float32"),
  unary("Asin", "aten::asin", "float32"),
  unary("Acos", "aten::acos", "float32"),
  unary("Atan", "aten::atan", "float32"),
  unary("Sinh", "aten::sinh", "float32"),
  unary("Cosh", "aten::cosh", "float32"),
  unary("Asinh", "aten::asinh", "float32"),
  unary("Acosh", "aten::acosh", "float32"),
  unary("Atanh", "aten::atanh", "float32"),
  unary("Erf", "aten::erf", "float32"),
  unary("Softplus", "aten::softplus", "float32"),
  unary("Selu", "aten::selu", "float32"),
  unary("Elu", "aten::elu", "float32"),
  kernel("Relu6", (b, inputs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::hardtanh", b.input(x), 0, 6), x.dtype)
  }),
  kernel("LeakyRelu", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::leaky_relu", float(b, x), attrs["alpha"] as number), "float32")
  }),
  kernel("Prelu", (b, inputs) => {
    const x = b.input(need(inputs, "x"))
    const alpha = b.input(need(inputs, "alpha"))
    return b.output(
      b.op("aten::where.self", b.op("aten::gt.Scalar", x, 0), x, b.op("aten::mul.Tensor", x, alpha)),
      "float32"
    )
  }),
  kernel("EluGrad", (b, inputs) => {
    const dy = b.input(need(inputs, "dy"))
    const y = b.input(need(inputs, "y"))
    return b.output(b.op("aten::elu_backward", dy, 1, 1, 1, true, y), "float32")
  }),
  kernel("TorchReluGrad", (b, inputs) =>
    b.output(b.op("aten::threshold_backward", b.input(need(inputs, "dy")), b.input(need(inputs, "x")), 0), "float32")
  ),
  kernel("IsNan", (b, inputs) => b.output(b.op("aten::isnan", b.input(need(inputs, "x"))), "bool")),
  kernel("IsInf", (b, inputs) => b.output(b.op("aten::isinf", b.input(need(inputs, "x"))), "bool")),
  kernel("IsFinite", (b, inputs) => b.output(b.op("aten::isfinite", b.input(need(inputs, "x"))), "bool")),
  kernel("LogicalNot", (b, inputs) => b.output(b.op("aten::logical_not", b.input(need(inputs, "x"))), "bool")),
  kernel("Step", (b, inputs, attrs) => {
    // tfjs: x > 0 ? 1 : alpha, NaN stays NaN
    const x = float(b, need(inputs, "x"))
    const stepped = b.op(
      "aten::where.Scalar",
      b.op("aten::gt.Scalar", x, 0),
      1.0,
      (attrs["alpha"] as number | undefined) ?? 0
    )
    return b.output(b.op("aten::where.self", b.op("aten::isnan", x), x, b.cast(stepped, "float32")), "float32")
  }),
  kernel("ClipByValue", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    return b.output(
      b.op("aten::clamp", b.input(x), attrs["clipValueMin"] as number, attrs["clipValueMax"] as number),
      x.dtype
    )
  }),
  kernel("Cast", (b, inputs, attrs) => {
    const x = need(inputs, "x")
    const dtype = attrs["dtype"] as tf.DataType
    if (dtype === x.dtype) return b.share(x, x.shape)
    return b.output(b.cast(b.input(x), dtype), dtype)
  }),
  kernel("ZerosLike", (b, inputs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::zeros_like", b.input(x)), x.dtype)
  }),
  kernel("OnesLike", (b, inputs) => {
    const x = need(inputs, "x")
    return b.output(b.op("aten::ones_like", b.input(x)), x.dtype)
  })
]

/** A binary kernel; `out` is the output dtype (default: the inputs', which tfjs has already made equal). */
const binary = (kernelName: string, op: string, out?: tf.DataType): TorchKernel =>
  kernel(kernelName, (b, inputs) => {
    const a = need(inputs, "a")
    return b.output(b.op(op, b.input(a), b.input(need(inputs, "b"))), out ?? a.dtype)
  })

const binaryKernels: Array<TorchKernel> = [
  binary("Add", "aten::add.Tensor"),
  binary("Sub", "aten::sub.Tensor"),
  binary("Multiply", "aten::mul.Tensor"),
  binary("Maximum", "aten::maximum"),
  binary("Minimum", "aten::minimum"),
  binary("Pow", "aten::pow.Tensor_Tensor"),
  binary("Atan2", "aten::atan2", "float32"),
  binary("Mod", "aten::remainder.Tensor"),
  binary("Equal", "aten::eq.Tensor", "bool"),
  binary("NotEqual", "aten::ne.Tensor", "bool"),
  binary("Less", "aten::lt.Tensor", "bool"),
  binary("LessEqual", "aten::le.Tensor", "bool"),
  binary("Greater", "aten::gt.Tensor", "bool"),
  binary("GreaterEqual", "aten::ge.Tensor", "bool"),
  binary("LogicalAnd", "aten::logical_and", "bool"),
  binary("LogicalOr", "aten::logical_or", "bool"),
  binary("LogicalXor", "aten::logical_xor", "bool"),
  kernel("RealDiv", (b, inputs) =>
    b.output(b.op("aten::div.Tensor", float(b, need(inputs, "a")), float(b, need(inputs, "b"))), "float32")
  ),
  // tfjs's FloorDiv gives int32 for every input dtype
  kernel("FloorDiv", (b, inputs) =>
    b.output(b.op("aten::div.Tensor_mode", b.input(need(inputs, "a")), b.input(need(inputs, "b")), "floor"), "int32")
  ),
  kernel("SquaredDifference", (b, inputs) => {
    const a = need(inputs, "a")
    return b.output(b.op("aten::square", b.op("aten::sub.Tensor", b.input(a), b.input(need(inputs, "b")))), a.dtype)
  }),
  kernel("AddN", (b, inputs) => {
    const list = Object.values(inputs).filter((t): t is tf.TensorInfo => t != null)
    let sum = b.input(list[0]!)
    for (const t of list.slice(1)) sum = b.op("aten::add.Tensor", sum, b.input(t))
    return b.output(sum, list[0]!.dtype)
  }),
  kernel("Select", (b, inputs) => {
    const condition = need(inputs, "condition")
    const t = need(inputs, "t")
    let c = b.input(condition)
    if (condition.dtype !== "bool") c = b.cast(c, "bool")
    // a rank-1 condition selects along the first axis
    if (condition.shape.length === 1 && t.shape.length > 1)
      c = b.op("aten::reshape", c, [condition.shape[0]!, ...t.shape.slice(1).map(() => 1)])
    return b.output(b.op("aten::where.self", c, b.input(t), b.input(need(inputs, "e"))), t.dtype)
  })
]

export const elementwiseKernels: ReadonlyArray<TorchKernel> = [...unaryKernels, ...binaryKernels]
