/**
 * Training kernels for the wasm backend: the ones it lacks and faster replacements for slow stock ones.
 * Registered when the wasm `Backend` layer is acquired, never on import. The stock configs are kept (via
 * `tf.getKernel`) so a replacement can fall back to them, and so {@link restoreWasmKernels} can undo it.
 *
 * | kernel | why |
 * |---|---|
 * | Conv2DBackpropFilter | missing |
 * | Conv2DBackpropInput | stock is a naive loop (10-13x a forward conv) |
 * | DepthwiseConv2dNativeBackpropFilter / Input | missing |
 * | UnsortedSegmentSum | missing (gather's gradient) |
 * | MaxPoolGrad | stock is 2.4x slower than argmax + scatter |
 * | BatchMatMul, _FusedMatMul | transposed cases run a naive loop |
 * | Tile | broadcast-like tilings run as a broadcasting add (wasm Tile is an element loop) |
 * | FusedBatchNorm (gradient) | stock gradient tiles 1/sqrt(var) to activation size; wasm Tile is slow |
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { BatchMatMul } from "./BatchMatMul.ts"
import { Conv2DBackpropFilter } from "./Conv2DBackpropFilter.ts"
import { Conv2DBackpropInput } from "./Conv2DBackpropInput.ts"
import { DepthwiseConv2dNativeBackpropFilter } from "./DepthwiseConv2dNativeBackpropFilter.ts"
import { DepthwiseConv2dNativeBackpropInput } from "./DepthwiseConv2dNativeBackpropInput.ts"
import { installFusedBatchNormGrad } from "./FusedBatchNormGrad.ts"
import { FusedMatMul } from "./FusedMatMul.ts"
import { MaxPoolGrad } from "./MaxPoolGrad.ts"
import { Tile } from "./Tile.ts"
import type { WasmKernel } from "./WasmKernel.ts"
import { UnsortedSegmentSum } from "./UnsortedSegmentSum.ts"

/** Every kernel reidfx registers on wasm, in registration order. */
export const wasmTrainingKernels: ReadonlyArray<WasmKernel> = [
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  UnsortedSegmentSum,
  MaxPoolGrad,
  BatchMatMul,
  FusedMatMul,
  Tile
]

/** The name under which the BatchNorm gradient replacement is listed. */
export const fusedBatchNormGradName = "FusedBatchNorm (gradient)"

const originals = new Map<string, tf.KernelConfig | undefined>()
let registered = false

/** The stock wasm kernel config that a reidfx kernel replaced (undefined if wasm had none). */
export const originalWasmKernel = (kernelName: string): tf.KernelConfig | undefined => originals.get(kernelName)

/**
 * Registers the wasm training kernels once per process (idempotent). Call after `tf.setBackend("wasm")`.
 * Returns the names of the kernels (and gradients) reidfx provides on wasm.
 */
export const registerWasmTrainingKernels = (): ReadonlyArray<string> => {
  const names = [...wasmTrainingKernels.map((k) => k.kernelName), fusedBatchNormGradName]
  installFusedBatchNormGrad()
  if (registered) return names
  registered = true
  for (const kernel of wasmTrainingKernels) {
    const original = tf.getKernel(kernel.kernelName, "wasm")
    originals.set(kernel.kernelName, original)
    if (original !== undefined) tf.unregisterKernel(kernel.kernelName, "wasm")
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: "wasm",
      kernelFunc: kernel.make(original),
      ...(original?.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
      ...(original?.disposeFunc === undefined ? {} : { disposeFunc: original.disposeFunc })
    })
  }
  return names
}

export { stockFusedBatchNormGrad } from "./FusedBatchNormGrad.ts"
export type { WasmKernel } from "./WasmKernel.ts"
