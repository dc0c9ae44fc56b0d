/**
 * How a torch kernel is written: a function of the backend, the kernel's inputs and attributes, and a fallback that
 * runs tfjs's cpu kernel instead (for the cases a torch kernel does not cover). The body runs in a scope of the
 * backend, so ATen results it does not return are released when it ends.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { Handle } from "../Addon.ts"
import type { TorchBackend } from "../TorchBackend.ts"

export type Outputs = tf.TensorInfo | Array<tf.TensorInfo>

/** A kernel body. `attrs` are the tfjs kernel attributes, read through the typed accessors of each kernel. */
export type TorchKernelBody = (
  backend: TorchBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: Record<string, unknown>,
  fallback: () => Outputs
) => Outputs

export interface TorchKernel {
  readonly kernelName: string
  readonly body: TorchKernelBody
}

export const kernel = (kernelName: string, body: TorchKernelBody): TorchKernel => ({ kernelName, body })

/** A required input of a kernel. */
export const need = (inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo => {
  const info = inputs[name]
  if (info === undefined || info === null) throw new Error(`torch backend: missing input "${name}"`)
  return info
}

/** The inputs of kernels that take a list (Concat, Pack, AddN): tfjs passes them as an array. */
export const listOf = (inputs: tf.NamedTensorInfoMap): Array<tf.TensorInfo> =>
  Object.values(inputs).filter((t): t is tf.TensorInfo => t != null)

/** NHWC -> NCHW view (no copy: channels-last strides). */
export const toNCHW = (b: TorchBackend, x: Handle): Handle => b.op("aten::permute", x, [0, 3, 1, 2])
/** NCHW -> NHWC view. */
export const toNHWC = (b: TorchBackend, x: Handle): Handle => b.op("aten::permute", x, [0, 2, 3, 1])

/** Applies a tfjs fused activation (`linear`, `relu`, `relu6`, `elu`, `sigmoid`, `leakyrelu`, `prelu`). */
export const activate = (
  b: TorchBackend,
  x: Handle,
  activation: unknown,
  alpha: number | undefined,
  preluWeights: Handle | undefined
): Handle => {
  switch (activation ?? "linear") {
    case "linear":
      return x
    case "relu":
      return b.op("aten::relu", x)
    case "relu6":
      return b.op("aten::hardtanh", x, 0, 6)
    case "elu":
      return b.op("aten::elu", x)
    case "sigmoid":
      return b.op("aten::sigmoid", x)
    case "leakyrelu":
      return b.op("aten::leaky_relu", x, alpha ?? 0.2)
    case "prelu": {
      if (preluWeights === undefined) throw new Error("torch backend: prelu activation without weights")
      return b.op("aten::where.self", b.op("aten::gt.Scalar", x, 0), x, b.op("aten::mul.Tensor", x, preluWeights))
    }
    default:
      throw new Error(`torch backend: unknown fused activation ${String(activation)}`)
  }
}
