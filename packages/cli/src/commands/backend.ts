/**
 * `reidfx backend`: shows which tfjs backend is active and how it was chosen.
 * @since 0.1.0
 */
import { Backend } from "@reidfx/tensor"
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import * as BackendFlag from "../BackendFlag.ts"

export const backendCommand = Command.make("backend", {}, () =>
  Effect.gen(function* () {
    const info = yield* Backend.Backend
    yield* Console.log(
      `backend: ${info.name} (tfjs "${info.tfName}"), threads: ${info.threads}, reidfx kernels: ${info.kernels.length}`
    )
  }).pipe(Effect.provide(BackendFlag.layer))
).pipe(
  Command.withDescription(
    "Show the active tfjs backend (choose it with REIDFX_BACKEND=wasm|cpu|node|nodeGpu|torch|auto)"
  )
)
