/**
 * Threads for the wasm backend in Node.
 *
 * tfjs 4.22 never uses its threaded SIMD build in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false there,
 * tensorflow/tfjs#3830): its loader hands Emscripten `blob:` URLs for the pthread worker and main scripts, which
 * Node's `worker_threads` cannot load. When threads are wanted and the runtime supports them (shared memory,
 * wasm threads and SIMD, `worker_threads`), this module registers a replacement factory for the "wasm" backend
 * that loads the threaded build itself:
 *
 * - the pthread worker script (tfjs ships it as a string) is written once to a file under the OS temp directory,
 *   and the main script is the package's own `wasm-out/tfjs-backend-wasm-threaded-simd.js`, so both are file paths;
 * - tfjs caps its XNNPACK pool at `logical cores / 2` (it assumes hyper-threading): while the module initialises,
 *   `os.cpus()` reports `2 * threads` entries, so the pool gets exactly the requested threads;
 * - Emscripten `ref()`s a worker when it starts a pthread, which would keep the process alive after the work is
 *   done; the pool's workers are `unref()`ed once the backend is up, so CLI commands and tests exit normally
 *   (the workers end with the process; the backend is process-global, so they are not terminated earlier).
 *
 * Any failure (or no answer within 30 s) falls back to tfjs' own single-thread SIMD build. It builds on tfjs
 * internals (`BackendWasm`, the Emscripten module shape), so tfjs is pinned at 4.22.0.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { availableParallelism, tmpdir } from "node:os"
import { dirname, join } from "node:path"

type WasmModule = typeof import("@tensorflow/tfjs-backend-wasm")

const require = createRequire(import.meta.url)
const mainScript = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"
const workerScript = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js"
const initTimeoutMs = 30_000

/** Why the threaded build is not used (undefined while it is, or before the backend starts). */
let fallbackReason: string | undefined
let prepared = false

/** Why the last wasm initialisation fell back to one thread, if it did. */
export const threadFallbackReason = (): string | undefined => fallbackReason

/** Threads requested by default: the machine's logical cores. */
export const defaultThreads = (): number => availableParallelism()

/** Whether this runtime can run the threaded build at all (shared memory, wasm threads, workers). */
export const supportsWasmThreads = (): boolean => {
  try {
    if (typeof SharedArrayBuffer === "undefined") return false
    require("node:worker_threads")
    // a module using shared memory and an atomic load (wasm-feature-detect's threads test)
    return WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16,
        2, 0, 26, 11
      ])
    )
  } catch {
    return false
  }
}

/** Writes tfjs' pthread worker script to a content-addressed file (atomically) and returns its path. */
const workerFile = (): string => {
  const { wasmWorkerContents } = require(workerScript) as { wasmWorkerContents: string }
  // tfjs escapes newlines the same way before it makes its blob
  const contents = wasmWorkerContents.replace(/\n/g, "\\n")
  const hash = createHash("sha256").update(contents).digest("hex").slice(0, 16)
  const dir = join(tmpdir(), `reidfx-tfjs-wasm-${tf.version_core}`)
  const path = join(dir, `threaded-simd-${hash}.worker.cjs`)
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true })
    const partial = `${path}.${process.pid}.tmp`
    writeFileSync(partial, contents)
    renameSync(partial, path)
  }
  return path
}

interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: Array<string>) => unknown
  PThread?: {
    runningWorkers: Array<{ unref?: () => void }>
    unusedWorkers: Array<{ unref?: () => void }>
    terminateAllThreads: () => void
  }
  tfjs?: unknown
}

/** Loads the threaded SIMD module with file paths instead of blob URLs, and the core count lifted. */
const loadThreaded = async (wasm: WasmModule, threads: number): Promise<tf.KernelBackend> => {
  const factory = require(mainScript) as (config: object) => Promise<EmscriptenModule>
  const mainPath = require.resolve(mainScript)
  const worker = workerFile()
  const os = require("node:os") as { cpus: () => Array<unknown> }
  const cpus = os.cpus
  const cores = cpus()
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cores[i % Math.max(1, cores.length)])
  try {
    const module = await factory({
      mainScriptUrlOrBlob: mainPath,
      locateFile: (path: string) => (path.endsWith(".worker.js") ? worker : join(dirname(mainPath), path))
    })
    module.tfjs = {
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, [])
    }
    wasm.setThreadsCount(threads)
    const backend = new wasm.BackendWasm(module as never)
    for (const w of module.PThread?.runningWorkers ?? []) w.unref?.()
    for (const w of module.PThread?.unusedWorkers ?? []) w.unref?.()
    return backend
  } finally {
    os.cpus = cpus
  }
}

const withTimeout = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
    timer.unref()
    promise.then(
      (a) => {
        clearTimeout(timer)
        resolve(a)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      }
    )
  })

/**
 * Prepares the wasm backend before `setBackend("wasm")`. With more than one thread wanted and supported, the
 * "wasm" backend factory is replaced by one that loads the threaded build (falling back to the stock factory).
 * Does nothing if the wasm backend is already initialised (tfjs initialises a backend once per process).
 */
export const prepareWasmThreads = (wasm: WasmModule, requested: number | undefined): Effect.Effect<number> =>
  Effect.sync(() => {
    const threads = Math.max(1, Math.floor(requested ?? defaultThreads()))
    const engine = tf.engine() as unknown as { registry: Record<string, unknown> }
    if (engine.registry["wasm"] !== undefined || prepared) return threads
    prepared = true
    if (threads === 1) {
      fallbackReason = "one thread requested"
      return 1
    }
    if (!supportsWasmThreads()) {
      fallbackReason = "this runtime lacks SharedArrayBuffer, wasm threads or worker_threads"
      return 1
    }
    const stock = tf.findBackendFactory("wasm")
    if (stock === null) return 1
    tf.removeBackend("wasm")
    tf.registerBackend(
      "wasm",
      async () => {
        try {
          const backend = await withTimeout(
            loadThreaded(wasm, threads),
            initTimeoutMs,
            "loading the threaded wasm build"
          )
          fallbackReason = undefined
          return backend
        } catch (error) {
          fallbackReason = `threaded build failed, using one thread: ${String(error)}`
          return stock()
        }
      },
      2
    )
    return threads
  })

/** Threads the initialised wasm backend computes with (1 if it is not initialised). */
export const activeWasmThreads = (wasm: WasmModule): number => {
  try {
    return wasm.getThreadsCount()
  } catch {
    return 1
  }
}
