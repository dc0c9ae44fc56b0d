/**
 * The Node-API addon over libtorch (`native/torch_addon.cc`) and how it is found. The addon is generic: tensors are
 * opaque handles, and any ATen operator is called by name (`op("aten::conv2d", "")`) through the c10 dispatcher
 * with JavaScript arguments converted by the operator's schema. Kernels are written in TypeScript on top.
 * @since 0.1.0
 */
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { TorchUnavailable } from "./errors.ts"

/** A libtorch tensor held by the addon (a `napi_external`; freed by `dispose` or, failing that, by the GC). */
export type Handle = { readonly __torchTensor: unique symbol }
/** An ATen operator resolved once by name and overload. */
export type OpHandle = { readonly __torchOp: unique symbol }

/** What the addon takes as an operator argument (converted by the schema: int, float, Scalar, lists, tensors). */
export type Arg =
  | Handle
  | number
  | boolean
  | string
  | null
  | undefined
  | ReadonlyArray<number>
  | ReadonlyArray<boolean>
  | ReadonlyArray<Handle | null>

/** What an operator returns: a tensor, several (an array), or a plain value. */
export type Result = Handle | ReadonlyArray<Result> | number | boolean | null

/** The tfjs dtypes the addon stores. */
export type StoredDType = "float32" | "int32" | "bool"

/** The native libtorch addon: tensors as handles, ATen operators by name, threads and device. */
export interface Addon {
  /** A libtorch tensor holding a copy of `data` with `shape` and `dtype`. */
  readonly fromData: (
    data: Float32Array | Int32Array | Uint8Array,
    shape: ReadonlyArray<number>,
    dtype: StoredDType
  ) => Handle
  /** A copy of the tensor's values. */
  readonly toData: (handle: Handle) => Float32Array | Int32Array | Uint8Array
  /** The tensor's shape. */
  readonly shape: (handle: Handle) => Array<number>
  /** The ATen scalar type name (`Float`, `Int`, `Long`, `Bool`, ...). */
  readonly dtype: (handle: Handle) => string
  /** Releases the tensor now (the handle becomes invalid). */
  readonly dispose: (handle: Handle) => void
  /** Looks up the ATen operator `name.overload` (e.g. `aten::add`, `Tensor`). */
  readonly op: (name: string, overload: string) => OpHandle
  /** Calls an operator with its arguments. */
  readonly call: (op: OpHandle, args: ReadonlyArray<Arg>) => Result
  /** Sets libtorch's intra-op threads. */
  readonly setThreads: (n: number) => void
  /** libtorch's intra-op threads. */
  readonly getThreads: () => number
  /** Where `fromData` places tensors: `cpu`, `cuda`, `cuda:N`. Fails when this libtorch has no CUDA. */
  readonly setDevice: (device: string) => void
  /** Where `fromData` places tensors now. */
  readonly device: () => string
  /** Tensors alive in the addon (handles not disposed) and the bytes they view. */
  readonly stats: () => { readonly liveTensors: number; readonly liveBytes: number }
  /** The libtorch version. */
  readonly version: () => string
  /** Whether this libtorch has CUDA and a device. */
  readonly hasCuda: () => boolean
}

/** Where the build script writes the addon (`npm run build:torch`). */
export const addonPath = fileURLToPath(new URL("../native/build/reidfx_torch.node", import.meta.url))
const buildInfoPath = fileURLToPath(new URL("../native/build/build-info.json", import.meta.url))

const howToBuild =
  "build it with `npm run build:torch` (needs a C++ compiler and libtorch: `apt-get install libtorch-dev`, " +
  "`pip install torch`, or LIBTORCH=<unpacked libtorch archive>)"

let loaded: Addon | undefined

/** Loads the addon once; fails with {@link TorchUnavailable} saying what is missing and how to get it. */
export const loadAddon = (): Addon => {
  if (loaded !== undefined) return loaded
  if (!existsSync(addonPath)) throw new TorchUnavailable({ hint: `the torch addon is not built: ${howToBuild}` })
  // OpenMP workers that sleep instead of spinning between kernels: JavaScript runs between every two kernels, and
  // spinning workers starve it (and everything else) on a busy machine. Read by libgomp when libtorch loads.
  if (process.env["OMP_WAIT_POLICY"] === undefined) process.env["OMP_WAIT_POLICY"] = "PASSIVE"
  try {
    loaded = createRequire(import.meta.url)(addonPath) as Addon
    return loaded
  } catch (cause) {
    const info = existsSync(buildInfoPath)
      ? ` (built against ${readFileSync(buildInfoPath, "utf8").replace(/\s+/g, " ")})`
      : ""
    throw new TorchUnavailable({
      hint: `the torch addon at ${addonPath} failed to load${info}: ${String(cause)}; is libtorch still installed? Rebuild: ${howToBuild}`,
      cause
    })
  }
}

/** Whether the addon is built (without loading it). */
export const addonBuilt = (): boolean => existsSync(addonPath)
