/**
 * Registers the `torch` backend with tfjs: loads the addon, sets threads and device, registers the torch kernels
 * and the cpu fallbacks for every other kernel tfjs has (under the backend name `torch` only). The global state a
 * user of the backend changes (the fused gradient overrides, which every backend sees, and libtorch's thread count)
 * is held through {@link acquireTorchRuntime} and put back by its `release` (the `Backend` layer does both).
 *
 * Environment: `REIDFX_THREADS` (intra-op threads, default: the machine's cores), `REIDFX_DEVICE` (`cpu`, `cuda`,
 * `cuda:N`; default cpu).
 * @since 0.1.0
 */
import "@tensorflow/tfjs-backend-cpu"
import * as tf from "@tensorflow/tfjs-core"
import { availableParallelism } from "node:os"
import { type Addon, loadAddon } from "./Addon.ts"
import { TorchUnavailable } from "./errors.ts"
import { fallbackKernel } from "./Fallback.ts"
import {
  installTorchGradients,
  registerTorchKernelGradients,
  torchKernels,
  uninstallTorchGradients
} from "./kernels/index.ts"
import { TorchBackend } from "./TorchBackend.ts"

/** The name of the backend in tfjs. */
export const backendName = "torch"

/** Options of the torch backend. */
export interface TorchOptions {
  /** Intra-op threads; default `REIDFX_THREADS` or the machine's cores. */
  readonly threads?: number
  /** `cpu`, `cuda` or `cuda:N`; default `REIDFX_DEVICE` or cpu. */
  readonly device?: string
}

/** What the torch backend reports once registered. */
export interface TorchInfo {
  readonly threads: number
  readonly device: string
  readonly libtorch: string
  /** Kernels with a libtorch implementation. */
  readonly kernels: ReadonlyArray<string>
  /** Kernels that run on the cpu kernels. */
  readonly fallbacks: ReadonlyArray<string>
}

const envThreads = (): number | undefined => {
  const raw = process.env["REIDFX_THREADS"]
  if (raw === undefined || raw.length === 0) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new TorchUnavailable({ hint: `REIDFX_THREADS=${raw} is not a positive integer` })
  return n
}

let registered: { readonly kernels: Array<string>; readonly fallbacks: Array<string> } | undefined

const registerKernels = () => {
  if (registered !== undefined) return registered
  const kernels: Array<string> = []
  for (const k of torchKernels) {
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName,
      kernelFunc: (args) => {
        const backend = args.backend as TorchBackend
        const cpu = tf.getKernel(k.kernelName, "cpu")
        const fallback = () => {
          if (cpu === undefined) throw new Error(`torch backend: ${k.kernelName} has no cpu kernel to fall back to`)
          return fallbackKernel(cpu)(args)
        }
        return backend.scoped(() =>
          k.body(backend, args.inputs, (args.attrs ?? {}) as Record<string, unknown>, fallback)
        )
      }
    })
    kernels.push(k.kernelName)
  }
  const fallbacks: Array<string> = []
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (tf.getKernel(config.kernelName, backendName) !== undefined) continue
    tf.registerKernel({ kernelName: config.kernelName, backendName, kernelFunc: fallbackKernel(config) })
    fallbacks.push(config.kernelName)
  }
  registerTorchKernelGradients()
  registered = { kernels, fallbacks }
  return registered
}

let addonInUse: Addon | undefined

/**
 * Registers the torch backend (once) and configures threads and device. Does not make it the active backend
 * (`tf.setBackend("torch")`). Throws {@link TorchUnavailable} when the addon is missing or the device unusable.
 */
export const registerTorchBackend = (options: TorchOptions = {}): TorchInfo => {
  const addon = loadAddon()
  const threads = options.threads ?? envThreads() ?? availableParallelism()
  const device = options.device ?? process.env["REIDFX_DEVICE"] ?? "cpu"
  try {
    addon.setThreads(threads)
    addon.setDevice(device)
  } catch (cause) {
    // one line: libtorch's CUDA errors can span several
    const reason = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!.trim()
    throw new TorchUnavailable({ hint: `cannot use device "${device}" with ${threads} thread(s): ${reason}`, cause })
  }
  const { kernels, fallbacks } = registerKernels()
  if (addonInUse === undefined) {
    addonInUse = addon
    tf.registerBackend(backendName, () => new TorchBackend(addon), 1)
  }
  return { threads: addon.getThreads(), device: addon.device(), libtorch: addon.version(), kernels, fallbacks }
}

/** A holder of the torch runtime: what was registered, and how to give it back. */
export interface TorchRuntime {
  readonly info: TorchInfo
  /** Releases this holder; the last one uninstalls the gradient overrides and restores the thread count. */
  readonly release: () => void
}

let holders = 0
let threadsBefore: number | undefined

/**
 * Registers the backend ({@link registerTorchBackend}) and holds the process-wide state it changes: the first
 * holder installs the fused gradient overrides (after tfjs-layers' import, which registers every core gradient) and
 * remembers libtorch's thread count; the last `release` uninstalls the overrides and restores that count.
 */
export const acquireTorchRuntime = (options: TorchOptions = {}): TorchRuntime => {
  const addon = loadAddon()
  const before = addon.getThreads()
  const info = registerTorchBackend(options)
  if (holders === 0) threadsBefore = before
  holders++
  installTorchGradients()
  let released = false
  return {
    info,
    release: () => {
      if (released) return
      released = true
      holders--
      if (holders > 0) return
      uninstallTorchGradients()
      if (threadsBefore !== undefined) addon.setThreads(threadsBefore)
      threadsBefore = undefined
    }
  }
}
