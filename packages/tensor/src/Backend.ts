/**
 * The active TensorFlow.js backend as an Effect service.
 *
 * tfjs has one process-wide backend; the `Backend` layer owns that global choice. Acquiring a layer loads the
 * backend (dynamically for the optional native ones), makes it current, readies it and, for wasm, registers the
 * training kernels wasm lacks. Layers:
 *
 * | layer | package | when |
 * |---|---|---|
 * | `layerWasm` (default) | `@tensorflow/tfjs-backend-wasm` | every machine; XNNPACK + SIMD, threads when possible |
 * | `layerCpu` | `@tensorflow/tfjs-backend-cpu` | tiny tests, reference results |
 * | `layerNode` | `@tensorflow/tfjs-node` (optional) | libtensorflow on CPU |
 * | `layerNodeGpu` | `@tensorflow/tfjs-node-gpu` (optional) | CUDA GPUs |
 * | `layerTorch` | `@reidfx/torch-backend` (addon built by `npm run build:torch`) | libtorch: PyTorch's CPU / CUDA kernels |
 * | `layerAuto` | | the best available: torch (when built), nodeGpu, node, then wasm |
 * | `layerFromConfig` | | `REIDFX_BACKEND` (validated) |
 *
 * The names are one catalog, `backends` (a `Registry` of entries: name, description, layer, `autoRank`):
 * `BackendName` (the values of `REIDFX_BACKEND` and `--backend`), `layerFor` and `auto`'s order are read off it,
 * so adding a backend is one entry.
 *
 * What a layer changes in the process it owns, and releasing it undoes: the wasm layer registers reidfx's wasm
 * training kernels and BatchNorm gradient (the stock ones come back when the last wasm layer is released); the
 * torch layer installs the torch gradient overrides and sets libtorch's intra-op threads (both put back when the
 * last torch layer is released); the cpu banner filter swaps `console.warn` only while the cpu backend starts.
 * tfjs's current backend stays what the last acquired layer made it (acquire another layer to switch); the wasm
 * module itself (and its thread pool) stays loaded, as tfjs keeps every initialised backend.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Config, Context, Effect, Layer, Schema } from "effect"
import { BackendUnavailable } from "./errors.ts"
import { acquireWasmTrainingKernels, releaseWasmTrainingKernels } from "./kernels/index.ts"
import * as Registry from "./Registry.ts"

/** What a backend layer reports: its reidfx and tfjs names, its threads and the kernels reidfx registered on it. */
export interface BackendInfo {
  /** The reidfx name of the backend that is active (an entry of {@link backends}, never `auto`). */
  readonly name: Exclude<BackendName, "auto">
  /** The tfjs backend name (`wasm`, `cpu`, `tensorflow`). */
  readonly tfName: string
  /** Threads the backend computes with (1 unless a threaded build is running). */
  readonly threads: number
  /** Kernels reidfx registered on this backend. */
  readonly kernels: ReadonlyArray<string>
}

/** The active tfjs backend. */
export class Backend extends Context.Service<Backend, BackendInfo>()("@reidfx/tensor/Backend") {}

/** Options of the wasm backend. */
export interface WasmOptions {
  /** Threads for the threaded SIMD build; 1 forces the single-thread build. Default: `REIDFX_WASM_THREADS` or the core count. */
  readonly threads?: number
}

const install = (name: string) =>
  `install it with \`npm install ${name}@4.22.0\` (it needs network access to download libtensorflow at install time)`

/**
 * Registers every tfjs-core gradient. tfjs-core's node bundle registers none; tfjs-layers' bundle registers all of
 * them on import, so loading it (dynamically, once) before the wasm kernels makes the order deterministic.
 */
const registerGradients: Effect.Effect<void> = Effect.promise(() => import("@tensorflow/tfjs-layers")).pipe(
  Effect.asVoid
)

const activate = (tfName: string): Effect.Effect<void, BackendUnavailable> =>
  Effect.tryPromise({
    try: async () => {
      const ok = await tf.setBackend(tfName)
      if (!ok) throw new Error(`tf.setBackend("${tfName}") returned false`)
      await tf.ready()
    },
    catch: (cause) => new BackendUnavailable({ backend: tfName, hint: `tf.setBackend failed: ${String(cause)}`, cause })
  })

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js... install our node backend"
 * (through `console.warn`) on the first tensor it writes, whenever it runs in Node. reidfx chooses the cpu backend
 * deliberately (and says how to get the native ones in its README), so the banner is switched off on the
 * registered cpu backend: its `firstUse` flag (the one condition of the banner, `backend_cpu.js`'s `write`) is
 * cleared, as `@reidfx/torch-backend`'s fallback does for its private cpu backend. Other warnings are untouched.
 */
const silenceNodeBanner = Effect.sync(() => {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null
  if (cpu !== null && cpu.firstUse === true) cpu.firstUse = false
})

/** The cpu backend (pure JavaScript): exact but about a thousand times too slow to train a CNN. */
export const layerCpu: Layer.Layer<Backend, BackendUnavailable> = Layer.effect(
  Backend,
  Effect.gen(function* () {
    yield* Effect.promise(() => import("@tensorflow/tfjs-backend-cpu"))
    yield* registerGradients
    yield* activate("cpu")
    yield* silenceNodeBanner
    return Backend.of({ name: "cpu", tfName: "cpu", threads: 1, kernels: [] })
  })
)

/** The wasm backend with reidfx's training kernels (the default). */
export const layerWasmWith = (options: WasmOptions = {}): Layer.Layer<Backend, BackendUnavailable> =>
  Layer.effect(
    Backend,
    Effect.gen(function* () {
      const wasm = yield* Effect.promise(() => import("@tensorflow/tfjs-backend-wasm"))
      const threads = yield* Effect.promise(() => import("./wasm/threads.ts"))
      const requested = yield* threads.prepareWasmThreads(wasm, options.threads)
      yield* registerGradients
      yield* activate("wasm")
      // the layer owns reidfx's wasm kernels and BatchNorm gradient: released (stock ones back) with the last holder
      const kernels = yield* Effect.acquireRelease(Effect.sync(acquireWasmTrainingKernels), () =>
        Effect.sync(releaseWasmTrainingKernels)
      )
      const active = threads.activeWasmThreads(wasm)
      const reason = threads.threadFallbackReason()
      if (requested > 1 && active < requested && reason !== undefined)
        yield* Effect.logWarning(`wasm backend: ${reason}`)
      return Backend.of({ name: "wasm", tfName: "wasm", threads: active, kernels })
    })
  )

/** The wasm backend with default options. */
export const layerWasm: Layer.Layer<Backend, BackendUnavailable> = layerWasmWith()

const nativeLayer = (name: "node" | "nodeGpu", pkg: string): Layer.Layer<Backend, BackendUnavailable> =>
  Layer.effect(
    Backend,
    Effect.gen(function* () {
      yield* Effect.tryPromise({
        try: () => import(/* @vite-ignore */ pkg),
        catch: (cause) =>
          new BackendUnavailable({
            backend: name,
            hint: `the optional package ${pkg} is not installed: ${install(pkg)}`,
            cause
          })
      })
      yield* activate("tensorflow")
      return Backend.of({ name, tfName: "tensorflow", threads: 0, kernels: [] })
    })
  )

/** libtensorflow on the CPU (`@tensorflow/tfjs-node`, optional). */
export const layerNode: Layer.Layer<Backend, BackendUnavailable> = nativeLayer("node", "@tensorflow/tfjs-node")

/** libtensorflow with CUDA (`@tensorflow/tfjs-node-gpu`, optional; needs an NVIDIA GPU with CUDA and cuDNN). */
export const layerNodeGpu: Layer.Layer<Backend, BackendUnavailable> = nativeLayer(
  "nodeGpu",
  "@tensorflow/tfjs-node-gpu"
)

/** What reidfx uses of `@reidfx/torch-backend` (imported dynamically: the package is optional at run time). */
interface TorchModule {
  readonly acquireTorchRuntime: () => {
    readonly info: { readonly threads: number; readonly kernels: ReadonlyArray<string> }
    readonly release: () => void
  }
}

const torchPackage = "@reidfx/torch-backend"

/**
 * libtorch through `@reidfx/torch-backend` (tfjs backend "torch"): the addon must be built (`npm run build:torch`,
 * which needs libtorch and a C++ compiler). Threads: `REIDFX_THREADS`; device: `REIDFX_DEVICE` (cpu, cuda, cuda:N).
 */
export const layerTorch: Layer.Layer<Backend, BackendUnavailable> = Layer.effect(
  Backend,
  Effect.gen(function* () {
    const torch = yield* Effect.tryPromise({
      try: () => import(/* @vite-ignore */ torchPackage) as Promise<TorchModule>,
      catch: (cause) =>
        new BackendUnavailable({
          backend: "torch",
          hint: `the package ${torchPackage} cannot be loaded: ${String(cause)}`,
          cause
        })
    })
    // tfjs-layers registers every core gradient on import: load it first so the torch gradients install over them
    yield* registerGradients
    // the layer owns the torch gradient overrides and the intra-op thread count: released with the last holder
    const { info } = yield* Effect.acquireRelease(
      Effect.try({
        try: () => torch.acquireTorchRuntime(),
        catch: (cause) =>
          new BackendUnavailable({ backend: "torch", hint: (cause as { hint?: string }).hint ?? String(cause), cause })
      }),
      (runtime) => Effect.sync(runtime.release)
    )
    yield* activate("torch")
    return Backend.of({ name: "torch", tfName: "torch", threads: info.threads, kernels: info.kernels })
  })
)

/** One backend of the registry (`Registry.Entry`: name, description): how to make its layer, where `auto` tries it. */
export interface BackendEntry extends Registry.Entry {
  /** The layer (the wasm entry reads `options`; the others ignore them). */
  readonly layer: (options: WasmOptions) => Layer.Layer<Backend, BackendUnavailable>
  /** The place `auto` tries it in (1 first); absent: `auto` never picks it. */
  readonly autoRank?: number
}

/**
 * The concrete backends, in the order every message lists them. Adding a backend is one entry here (its layer,
 * and `autoRank` if `auto` should try it).
 */
const concrete = [
  {
    name: "wasm",
    description: "@tensorflow/tfjs-backend-wasm: XNNPACK + SIMD, threads when possible (the default)",
    layer: layerWasmWith,
    autoRank: 4
  },
  { name: "cpu", description: "@tensorflow/tfjs-backend-cpu: pure JavaScript, for tiny tests", layer: () => layerCpu },
  {
    name: "node",
    description: "@tensorflow/tfjs-node (optional): libtensorflow on CPU",
    layer: () => layerNode,
    autoRank: 3
  },
  {
    name: "nodeGpu",
    description: "@tensorflow/tfjs-node-gpu (optional): libtensorflow with CUDA",
    layer: () => layerNodeGpu,
    autoRank: 2
  },
  {
    name: "torch",
    description: "@reidfx/torch-backend (built by npm run build:torch): libtorch's CPU / CUDA kernels",
    layer: () => layerTorch,
    autoRank: 1
  }
] as const satisfies ReadonlyArray<BackendEntry>

/** The backends `auto` tries, in order: the entries with an `autoRank`, by rank (torch, nodeGpu, node, wasm). */
export const autoOrder: ReadonlyArray<BackendEntry> = (concrete as ReadonlyArray<BackendEntry>)
  .filter((entry) => entry.autoRank !== undefined)
  .sort((a, b) => (a.autoRank ?? 0) - (b.autoRank ?? 0))

/** The best available backend: the first of {@link autoOrder} whose layer builds. */
export const layerAuto: Layer.Layer<Backend, BackendUnavailable> = autoOrder
  .map((entry) => entry.layer({}))
  .reduce((first, next) => first.pipe(Layer.catch(() => next)))

/**
 * Every backend reidfx takes, by the name `REIDFX_BACKEND`, `--backend` and {@link layerFor} take: the concrete
 * ones, then `auto`. @category registry
 */
export const backends: Registry.Registry<BackendEntry> = Registry.make("backend", [
  ...concrete,
  {
    name: "auto",
    description: "the best available: torch (when built), nodeGpu, node, then wasm",
    layer: () => layerAuto
  }
])

/** The names of {@link backends}. */
export type BackendName = (typeof concrete)[number]["name"] | "auto"
/** The Schema of the names of {@link backends} (an unknown name lists them). */
export const BackendName = Registry.nameSchema<BackendName>(backends)

/** The layer for a backend name (its {@link backends} entry). */
export const layerFor = (name: BackendName, options: WasmOptions = {}): Layer.Layer<Backend, BackendUnavailable> =>
  backends.require(name).layer(options)

/** `REIDFX_BACKEND` (one of wasm, cpu, node, nodeGpu, torch, auto; default wasm) and `REIDFX_WASM_THREADS`. */
export const BackendConfig = Config.all({
  backend: Config.schema(BackendName, "REIDFX_BACKEND").pipe(Config.withDefault("wasm" as const)),
  threads: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 256 })), "REIDFX_WASM_THREADS").pipe(
    Config.option
  )
})

/** The backend named by configuration (`REIDFX_BACKEND`, validated; an unknown name lists the allowed ones). */
export const layerFromConfig = Layer.unwrap(
  Effect.gen(function* () {
    const { backend, threads } = yield* BackendConfig
    return layerFor(backend, threads._tag === "Some" ? { threads: threads.value } : {})
  })
)
