/**
 * The `Backend` layers own the process-wide state they change: switching wasm -> cpu -> wasm (and through torch,
 * where its addon is built) inside one process registers and releases reidfx's wasm kernels, the BatchNorm
 * gradient overrides and libtorch's thread count, and the computations agree on each visit.
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { Backend, WasmKernels } from "../src/index.ts"

interface TorchModule {
  readonly addonBuilt: () => boolean
  readonly loadAddon: () => { getThreads: () => number; setThreads: (n: number) => void }
  readonly torchGradientsInstalled: () => boolean
}
const torch = await import("@reidfx/torch-backend").then(
  (m) => m as unknown as TorchModule,
  () => undefined
)
const torchBuilt = torch?.addonBuilt() === true

/** Acquires a layer in a fresh scope and returns the scope (close it to release the layer). */
const acquire = async (layer: Layer.Layer<Backend.Backend, unknown>) => {
  const scope = await Effect.runPromise(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const info = Effect.runSync(Effect.provide(Backend.Backend, Layer.succeedContext(context)))
  return { scope, info, release: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** The filter gradient of a small conv (Conv2DBackpropFilter: a reidfx kernel on wasm, missing from stock wasm). */
const filterGradient = (): Array<number> =>
  tf.tidy(() => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 5 * 4 * 3 }, (_, i) => Math.sin(i)),
      [2, 5, 4, 3]
    )
    const f = tf.tensor4d(
      Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.cos(i)),
      [3, 3, 3, 2]
    )
    return Array.from(
      tf
        .grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, "same"))))(f)
        .dataSync()
    )
  })

// `REIDFX_BACKEND=torch npm test` reroutes the cpu and wasm backends to torch (torch-backend/test/suiteOnTorch.ts):
// tests about those two backends themselves skip then
const rerouted = process.env["REIDFX_BACKEND"] === "torch"
if (rerouted)
  it.skip("skipped under REIDFX_BACKEND=torch: the wasm and cpu layers being switched activate torch", () => {})

const reidfxWasmKernel = () => tf.getKernel("Conv2DBackpropFilter", "wasm")

describe.skipIf(rerouted)("Backend layers own their runtime state", () => {
  it("wasm -> cpu -> wasm: reidfx's wasm kernels and BatchNorm gradient are held by the layer and released with it", async () => {
    expect(WasmKernels.wasmTrainingKernelHolders()).toBe(0)

    const wasm1 = await acquire(Backend.layerWasmWith({ threads: 1 }))
    expect(wasm1.info.name).toBe("wasm")
    expect(WasmKernels.wasmTrainingKernelHolders()).toBe(1)
    expect(reidfxWasmKernel()).toBeDefined()
    expect(WasmKernels.fusedBatchNormGradInstalled()).toBe(true)
    const stockGradient = WasmKernels.stockFusedBatchNormGrad()
    expect(stockGradient).toBeDefined()
    const onWasm = filterGradient()
    await wasm1.release()
    expect(WasmKernels.wasmTrainingKernelHolders()).toBe(0)
    // stock wasm has no Conv2DBackpropFilter: released means gone, and the stock BatchNorm gradient is back
    expect(reidfxWasmKernel()).toBeUndefined()
    expect(WasmKernels.fusedBatchNormGradInstalled()).toBe(false)
    expect(tf.getGradient("FusedBatchNorm")?.gradFunc).toBe(stockGradient?.gradFunc)

    const cpu = await acquire(Backend.layerCpu)
    expect(tf.getBackend()).toBe("cpu")
    const onCpu = filterGradient()
    await cpu.release()

    const wasm2 = await acquire(Backend.layerWasmWith({ threads: 1 }))
    expect(tf.getBackend()).toBe("wasm")
    expect(reidfxWasmKernel()).toBeDefined()
    const again = filterGradient()
    await wasm2.release()

    for (let i = 0; i < onCpu.length; i++) {
      expect(onWasm[i]!).toBeCloseTo(onCpu[i]!, 3)
      expect(again[i]).toBe(onWasm[i])
    }
  })

  it("nested holders share the wasm kernels: they stay until the last holder is released", async () => {
    const outer = await acquire(Backend.layerWasmWith({ threads: 1 }))
    const inner = await acquire(Backend.layerWasmWith({ threads: 1 }))
    expect(WasmKernels.wasmTrainingKernelHolders()).toBe(2)
    await inner.release()
    expect(reidfxWasmKernel()).toBeDefined()
    await outer.release()
    expect(reidfxWasmKernel()).toBeUndefined()
  })

  it.skipIf(!torchBuilt)(
    "wasm -> torch -> wasm: the torch layer holds its gradient overrides and thread count and gives them back",
    async () => {
      const addon = torch!.loadAddon()
      addon.setThreads(1)
      const wasm = await acquire(Backend.layerWasmWith({ threads: 1 }))
      const onWasm = filterGradient()
      await wasm.release()

      const previous = process.env["REIDFX_THREADS"]
      process.env["REIDFX_THREADS"] = "2"
      try {
        const t = await acquire(Backend.layerTorch)
        expect(t.info.name).toBe("torch")
        expect(addon.getThreads()).toBe(2)
        expect(torch!.torchGradientsInstalled()).toBe(true)
        const onTorch = filterGradient()
        await t.release()
        expect(torch!.torchGradientsInstalled()).toBe(false)
        expect(addon.getThreads()).toBe(1)
        for (let i = 0; i < onWasm.length; i++) expect(onTorch[i]!).toBeCloseTo(onWasm[i]!, 3)
      } finally {
        if (previous === undefined) delete process.env["REIDFX_THREADS"]
        else process.env["REIDFX_THREADS"] = previous
      }

      const back = await acquire(Backend.layerWasmWith({ threads: 1 }))
      expect(tf.getBackend()).toBe("wasm")
      expect(filterGradient()).toEqual(onWasm)
      await back.release()
    }
  )

  if (!torchBuilt) it.skip("torch switching skipped: the torch addon is not built (npm run build:torch)", () => {})
})
