import { assert, describe, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { Backend } from "../src/index.ts"

// `REIDFX_BACKEND=torch npm test` reroutes the cpu and wasm backends to torch (torch-backend/test/suiteOnTorch.ts):
// tests about those two backends themselves skip then
const rerouted = process.env["REIDFX_BACKEND"] === "torch"

describe("Backend", () => {
  if (rerouted) it.skip("skipped under REIDFX_BACKEND=torch: the cpu and wasm layers activate torch", () => {})

  it.effect.skipIf(rerouted)("wasm layer activates the wasm backend", () =>
    Effect.gen(function* () {
      const info = yield* Backend.Backend
      assert.strictEqual(info.name, "wasm")
      assert.strictEqual(tf.getBackend(), "wasm")
    }).pipe(Effect.provide(Backend.layerWasm))
  )

  it.effect.skipIf(rerouted)("cpu layer activates the cpu backend", () =>
    Effect.gen(function* () {
      const info = yield* Backend.Backend
      assert.strictEqual(info.name, "cpu")
      assert.strictEqual(tf.getBackend(), "cpu")
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect.skipIf(!rerouted)("under REIDFX_BACKEND=torch the cpu and wasm layers compute on torch", () =>
    Effect.gen(function* () {
      const info = yield* Backend.Backend
      assert.strictEqual(info.name, "cpu")
      assert.strictEqual(tf.getBackend(), "torch")
      const product = tf.matMul([[1, 2]], [[3], [4]])
      assert.deepStrictEqual(Array.from(product.dataSync()), [11])
      product.dispose()
      yield* Effect.promise(() => tf.setBackend("wasm"))
      assert.strictEqual(tf.getBackend(), "torch")
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("nodeGpu without the package is BackendUnavailable with an install hint", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.provide(Backend.Backend, Backend.layerNodeGpu))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Effect.provide(Backend.Backend, Backend.layerNodeGpu))
      assert.strictEqual(error._tag, "BackendUnavailable")
      assert.include(error.message, "npm install @tensorflow/tfjs-node-gpu")
    })
  )

  it.effect(
    "auto picks torch when its addon is built, else falls back to wasm (no native tfjs backend installed)",
    () =>
      Effect.gen(function* () {
        const info = yield* Backend.Backend
        const torchBuilt = yield* Effect.promise(() =>
          import("@reidfx/torch-backend").then(
            (m) => m.addonBuilt(),
            () => false
          )
        )
        assert.strictEqual(info.name, torchBuilt ? "torch" : "wasm")
      }).pipe(Effect.provide(Backend.layerAuto))
  )

  it("the backends are one registry: its names are the config / flag values, auto tries its ranked entries", () => {
    assert.deepStrictEqual(Backend.backends.names, ["wasm", "cpu", "node", "nodeGpu", "torch", "auto"])
    assert.deepStrictEqual([...Backend.BackendName.literals], Backend.backends.names)
    assert.deepStrictEqual(
      Backend.autoOrder.map((e) => e.name),
      ["torch", "nodeGpu", "node", "wasm"]
    )
    assert.strictEqual(Backend.layerFor("cpu"), Backend.layerCpu)
    assert.strictEqual(Backend.layerFor("auto"), Backend.layerAuto)
    assert.strictEqual(Backend.layerFor("torch"), Backend.layerTorch)
  })

  it.effect("REIDFX_BACKEND picks the backend", () =>
    Effect.gen(function* () {
      const info = yield* Backend.Backend
      assert.strictEqual(info.name, "cpu")
    }).pipe(
      Effect.provide(
        Backend.layerFromConfig.pipe(
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "cpu" } })))
        )
      )
    )
  )

  it.effect("an unknown REIDFX_BACKEND is a config error naming the allowed values", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          Backend.Backend,
          Backend.layerFromConfig.pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { REIDFX_BACKEND: "gpu" } })))
          )
        )
      )
      assert.include(String(error), "REIDFX_BACKEND")
      assert.include(String(error), "nodeGpu")
    })
  )
})
