/**
 * Kernels the torch backend has no libtorch implementation of run on tfjs's `cpu` kernels: inputs are copied to a
 * private `MathBackendCPU`, its kernel runs, outputs are copied back. Correct for every kernel tfjs has, slow for
 * large tensors; each kernel that falls back is counted ({@link fallbackCounts}) so the hot ones can be given a torch
 * kernel. `REIDFX_TORCH_LOG_FALLBACK=1` prints each kernel the first time it falls back.
 * @since 0.1.0
 */
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu"
import type * as tf from "@tensorflow/tfjs-core"
import type { TorchBackend } from "./TorchBackend.ts"

let cpu: MathBackendCPU | undefined
const counts = new Map<string, number>()

/** How many times each kernel fell back to the cpu kernels in this process. */
export const fallbackCounts = (): ReadonlyMap<string, number> => counts

const cpuBackend = (): MathBackendCPU => {
  if (cpu === undefined) {
    cpu = new MathBackendCPU()
    // the banner advising tfjs-node is printed on the first write; this private backend is not the user's choice
    ;(cpu as unknown as { firstUse: boolean }).firstUse = false
  }
  return cpu
}

/** A torch kernel that runs the cpu kernel `config` on copies of its inputs. */
export const fallbackKernel =
  (config: tf.KernelConfig): tf.KernelFunc =>
  (args) => {
    const backend = args.backend as TorchBackend
    const cpuBackendNow = cpuBackend()
    counts.set(config.kernelName, (counts.get(config.kernelName) ?? 0) + 1)
    if (counts.get(config.kernelName) === 1 && process.env["REIDFX_TORCH_LOG_FALLBACK"] === "1") {
      console.warn(`torch backend: ${config.kernelName} runs on the cpu kernel`)
    }
    const created: Array<tf.DataId> = []
    const inputs: Record<string, tf.TensorInfo> = {}
    for (const [name, info] of Object.entries(args.inputs)) {
      if (info === undefined || info === null) continue
      const dataId = cpuBackendNow.write(backend.readSync(info.dataId), info.shape, info.dtype)
      created.push(dataId)
      inputs[name] = { dataId, shape: info.shape, dtype: info.dtype }
    }
    try {
      const out = config.kernelFunc({ inputs, attrs: args.attrs ?? {}, backend: cpuBackendNow })
      const outs = Array.isArray(out) ? out : [out]
      const converted = outs.map((o) => {
        created.push(o.dataId)
        return backend.outputValues(cpuBackendNow.readSync(o.dataId), o.shape, o.dtype)
      })
      return Array.isArray(out) ? converted : converted[0]!
    } finally {
      for (const dataId of new Set(created)) cpuBackendNow.disposeData(dataId, true)
    }
  }
