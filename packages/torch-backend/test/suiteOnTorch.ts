/**
 * `REIDFX_BACKEND=torch npm test`: runs every test project on the torch backend.
 *
 * reidfx's tests choose their backend explicitly (`Backend.layerCpu`, `Backend.layerWasm`, `tf.setBackend("cpu")`),
 * so the environment variable alone would change nothing. When it is `torch`, `vitest.workspace.ts` adds this file
 * to every project's `setupFiles`; in each test process it
 * - registers the torch backend and holds its runtime (kernels, fused gradient overrides, threads) for the
 *   process's life, as `Backend.layerTorch` does;
 * - makes tfjs's engine activate `torch` whenever `cpu` or `wasm` is asked for (every layer and every direct
 *   `tf.setBackend` call goes through `engine.setBackend`), so the code under test computes on libtorch while the
 *   `Backend` service still names the layer the test asked for.
 *
 * Tests about one backend itself (wasm's own kernels, wasm against cpu, backend switching) are meaningless when
 * both sides are torch, and child processes a test starts (the CLI's `reidfx` runs) keep the backend their
 * environment names, so tests comparing them with an in-process run cannot agree: such tests check
 * `process.env.REIDFX_BACKEND === "torch"` and skip, with the reason in a skipped test's name. Threads:
 * `REIDFX_THREADS` (the README runs the suite with 1, one per test worker). Without a built addon the run stops
 * at once with the build command.
 */
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-layers"
import { acquireTorchRuntime } from "../src/index.ts"

if (process.env["REIDFX_BACKEND"] === "torch") {
  try {
    // tfjs-layers (imported above) registered every core gradient: the torch overrides install over them
    acquireTorchRuntime()
  } catch (error) {
    throw new Error(
      `REIDFX_BACKEND=torch: the torch backend cannot start (${error instanceof Error ? error.message : String(error)}); build it with \`npm run build:torch\``
    )
  }
  const engine = tf.engine() as unknown as { setBackend: (name: string) => Promise<boolean> }
  const setBackend = engine.setBackend.bind(engine)
  engine.setBackend = (name: string) => setBackend(name === "cpu" || name === "wasm" ? "torch" : name)
}
