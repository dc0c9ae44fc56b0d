/**
 * `--backend wasm|cpu|node|nodeGpu|torch|auto`, a global flag of every `reidfx` command (before or after the
 * command's name). It wins over `REIDFX_BACKEND`; without it, the environment decides (default wasm).
 * @since 0.1.0
 */
import { Backend } from "@reidfx/tensor"
import { Effect, Layer, Option } from "effect"
import { Flag, GlobalFlag } from "effect/cli"

/** The global `--backend` setting. */
export const BackendFlag = GlobalFlag.Setting("backend")({
  // the names of the backend registry (`Backend.backends`), so a new backend is a flag value without an edit here
  flag: Flag.Literals("backend", Backend.BackendName.literals).pipe(
    Flag.optional,
    Flag.withDescription("tfjs backend (default: REIDFX_BACKEND, else wasm)")
  )
})

/** The Backend layer a command runs on: `--backend` when given, else `REIDFX_BACKEND` (`Backend.layerFromConfig`). */
export const layer = Layer.unwrap(
  Effect.map(BackendFlag, (name) =>
    Option.match(name, { onNone: () => Backend.layerFromConfig, onSome: (n) => Backend.layerFor(n) })
  )
)
