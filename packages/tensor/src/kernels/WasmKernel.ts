/**
 * What a reidfx wasm kernel is (a replacement built from the stock kernel, if any), and the plumbing the kernels share.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"

/** A kernel input as a `tf.Tensor` (inputs from ops already are; bare TensorInfos are wrapped, inside a tidy). */
export const tensorOf = <T extends tf.Tensor = tf.Tensor>(info: tf.TensorInfo | undefined, what: string): T => {
  if (info === undefined) throw new Error(`reidfx wasm kernel: missing input "${what}"`)
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as T
}

/** The original (stock) config of a kernel, kept before it is replaced. */
export type Original = tf.KernelConfig | undefined

/** A kernel replacement: builds the new kernel function from the stock one (absent for missing kernels). */
export interface WasmKernel {
  readonly kernelName: string
  /** What the kernel does differently from the stock one (for docs and `Backend` info). */
  readonly summary: string
  /** Builds the kernel function, given the stock kernel it replaces (if any) to fall back on. */
  readonly make: (original: Original) => tf.KernelFunc
}

/** Calls the stock kernel, or fails with a message naming the unsupported case when there is none. */
export const fallback = (original: Original, name: string, why: string, args: Parameters<tf.KernelFunc>[0]) => {
  if (original === undefined)
    throw new Error(`reidfx wasm ${name}: ${why} is not supported (and wasm has no stock kernel)`)
  return original.kernelFunc(args)
}
