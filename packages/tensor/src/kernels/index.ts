/**
 * Training kernels for the wasm backend: the ones it lacks and faster replacements for slow stock ones.
 * Registered when the wasm `Backend` layer is acquired, never on import, and unregistered (the stock kernels and the
 * stock BatchNorm gradient put back) when the last layer holding them is released. The stock configs are kept (via
 * `tf.getKernel`) so a replacement can fall back to them and the release can restore them.
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
import { installFusedBatchNormGrad, uninstallFusedBatchNormGrad } from "./FusedBatchNormGrad.ts"
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
/** How many acquisitions (wasm `Backend` layers) hold the kernels now. */
let holders = 0

/** The stock wasm kernel config that a reidfx kernel replaced (undefined if wasm had none, or none is held). */
export const originalWasmKernel = (kernelName: string): tf.KernelConfig | undefined => originals.get(kernelName)

/** How many holders the wasm training kernels have (0: the stock wasm kernels are registered). */
export const wasmTrainingKernelHolders = (): number => holders

const kernelNames = (): ReadonlyArray<string> => [
  ...wasmTrainingKernels.map((k) => k.kernelName),
  fusedBatchNormGradName
]

/**
 * Registers the wasm training kernels and the BatchNorm gradient for one more holder (the first holder registers
 * them; later ones share them). Pair each call with {@link releaseWasmTrainingKernels}. Returns the names of the
 * kernels (and gradients) reidfx provides on wasm.
 */
export const acquireWasmTrainingKernels = (): ReadonlyArray<string> => {
  // re-installs the gradient if importing tfjs-layers later replaced it
  installFusedBatchNormGrad()
  holders++
  if (holders > 1) return kernelNames()
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
  return kernelNames()
}

/** Releases one holder; the last one puts the stock wasm kernels and the stock BatchNorm gradient back. */
export const releaseWasmTrainingKernels = (): void => {
  if (holders === 0) return
  holders--
  if (holders > 0) return
  for (const kernel of wasmTrainingKernels) {
    if (tf.getKernel(kernel.kernelName, "wasm") !== undefined) tf.unregisterKernel(kernel.kernelName, "wasm")
    const original = originals.get(kernel.kernelName)
    if (original !== undefined) tf.registerKernel(original)
  }
  originals.clear()
  uninstallFusedBatchNormGrad()
}

export { fusedBatchNormGradInstalled, stockFusedBatchNormGrad } from "./FusedBatchNormGrad.ts"
export type { WasmKernel } from "./WasmKernel.ts"
