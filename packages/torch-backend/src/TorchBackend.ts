/**
 * The tfjs `KernelBackend` named `torch`: every tfjs `dataId` owns one libtorch tensor (a handle of the addon).
 * Data is copied to JavaScript only when read. Kernels (in `kernels/`) call ATen operators by name; the handles an
 * operator returns inside a kernel are released when the kernel ends unless adopted as an output, so no
 * intermediate waits for the garbage collector.
 *
 * tfjs may give one `dataId` several shapes (Reshape shares the data, like the cpu backend), so inputs are viewed
 * at the shape of the `TensorInfo` a kernel receives.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { Addon, Arg, Handle, OpHandle, Result, StoredDType } from "./Addon.ts"

interface Stored {
  /** The tensor; absent for string tensors, whose values stay in JavaScript. */
  readonly handle: Handle | undefined
  readonly values: ReadonlyArray<Uint8Array> | undefined
  /** The shape the tensor has natively (tfjs may view it at another shape of the same size). */
  readonly shape: ReadonlyArray<number>
  readonly dtype: tf.DataType
  refCount: number
}

/** ATen scalar type codes (c10::ScalarType) of the dtypes tfjs has. */
export const ScalarType = { int32: 3, int64: 4, float32: 6, float64: 7, bool: 11 } as const

const tfDType = (aten: string): tf.DataType => {
  switch (aten) {
    case "Float":
    case "Double":
    case "Half":
    case "BFloat16":
      return "float32"
    case "Bool":
      return "bool"
    default:
      return "int32"
  }
}

const atenOf: Record<string, string> = { float32: "Float", int32: "Int", bool: "Bool" }

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) =>
  a.length === b.length && a.every((d, i) => d === b[i])

/** Options of the backend. */
export interface TorchBackendOptions {
  /** Intra-op threads (`at::set_num_threads`). */
  readonly threads: number
  /** `cpu`, `cuda` or `cuda:N`. */
  readonly device: string
}

/** The tfjs backend whose tensors live in libtorch (through the {@link Addon}). */
export class TorchBackend extends tf.KernelBackend {
  readonly addon: Addon
  private readonly data: tf.DataStorage<Stored>
  private readonly ops = new Map<string, OpHandle>()
  /** Handles created by the running kernels (innermost last), released when each kernel ends. */
  private readonly scopes: Array<Set<Handle>> = []
  private nextId = 0

  constructor(addon: Addon) {
    super()
    this.addon = addon
    this.data = new tf.DataStorage(this, tf.engine())
  }

  // --- storage -----------------------------------------------------------------------------------------------

  /** Stores `values` as a libtorch tensor; returns its data id. */
  override write(values: tf.BackendValues, shape: Array<number>, dtype: tf.DataType): tf.DataId {
    const dataId = { id: this.nextId++ }
    this.store(dataId, values, shape, dtype, 1)
    return dataId
  }

  /** Stores `values` under an existing data id (tfjs moves data between backends with it). */
  override move(
    dataId: tf.DataId,
    values: tf.BackendValues,
    shape: Array<number>,
    dtype: tf.DataType,
    refCount: number
  ): void {
    this.store(dataId, values, shape, dtype, refCount)
  }

  private store(
    dataId: tf.DataId,
    values: tf.BackendValues,
    shape: ReadonlyArray<number>,
    dtype: tf.DataType,
    refCount: number
  ) {
    if (dtype === "string") {
      this.data.set(dataId, { handle: undefined, values: values as Array<Uint8Array>, shape, dtype, refCount })
      return
    }
    if (dtype === "complex64") throw new Error("torch backend: complex64 tensors are not supported")
    const size = shape.reduce((a, b) => a * b, 1)
    const typed = values === null || values === undefined ? undefined : values
    const data =
      dtype === "float32"
        ? typed instanceof Float32Array
          ? typed
          : new Float32Array((typed ?? new Float32Array(size)) as ArrayLike<number>)
        : dtype === "int32"
          ? typed instanceof Int32Array
            ? typed
            : new Int32Array((typed ?? new Int32Array(size)) as ArrayLike<number>)
          : typed instanceof Uint8Array
            ? typed
            : new Uint8Array((typed ?? new Uint8Array(size)) as ArrayLike<number>)
    const handle = this.addon.fromData(data, shape, dtype as StoredDType)
    this.data.set(dataId, { handle, values: undefined, shape, dtype, refCount })
  }

  /** Stores a handle a kernel produced as a new dataId (adopting it: it outlives the kernel). */
  private adopt(handle: Handle, dtype: tf.DataType): tf.TensorInfo {
    for (const scope of this.scopes) scope.delete(handle)
    const shape = this.addon.shape(handle)
    const dataId = { id: this.nextId++ }
    this.data.set(dataId, { handle, values: undefined, shape, dtype, refCount: 1 })
    return { dataId, shape, dtype }
  }

  /** The tensor's values, copied out of libtorch. */
  override readSync(dataId: tf.DataId): tf.BackendValues {
    const stored = this.data.get(dataId)
    if (stored.values !== undefined) return stored.values as Array<Uint8Array>
    return this.addon.toData(stored.handle!)
  }

  /** The tensor's values (as {@link readSync}). */
  override read(dataId: tf.DataId): Promise<tf.BackendValues> {
    return Promise.resolve(this.readSync(dataId))
  }

  /** Drops one reference (all with `force`); the libtorch tensor is released with the last. */
  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true
    const stored = this.data.get(dataId)
    stored.refCount--
    if (!force && stored.refCount > 0) return false
    if (stored.handle !== undefined) this.addon.dispose(stored.handle)
    this.data.delete(dataId)
    return true
  }

  /** The references held on a tensor. */
  override refCount(dataId: tf.DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0
  }

  /** Adds a reference to a tensor. */
  override incRef(dataId: tf.DataId): void {
    this.data.get(dataId).refCount++
  }

  /** The number of tensors held. */
  override numDataIds(): number {
    return this.data.numDataIds()
  }

  /** The memory held by libtorch tensors (as tfjs reports a backend's memory). */
  override memory(): { unreliable: boolean; reasons?: Array<string> } & {
    readonly torchTensors: number
    readonly torchBytes: number
  } {
    const stats = this.addon.stats()
    return { unreliable: false, torchTensors: stats.liveTensors, torchBytes: stats.liveBytes }
  }

  /** Whether {@link time} measures kernel time. */
  override timerAvailable(): boolean {
    return true
  }

  /** Times `f` by the wall clock (libtorch runs synchronously here). */
  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = performance.now()
    f()
    return { kernelMs: performance.now() - start }
  }

  override floatPrecision(): 32 {
    return 32
  }

  override epsilon(): number {
    return 1e-7
  }

  /** Nothing to release: each tensor is released with its last reference. */
  override dispose(): void {}

  // --- what kernels use --------------------------------------------------------------------------------------

  /** Runs a kernel body; handles it created and did not adopt are released when it ends. */
  scoped<A>(body: () => A): A {
    const scope = new Set<Handle>()
    this.scopes.push(scope)
    try {
      return body()
    } finally {
      this.scopes.pop()
      for (const h of scope) this.addon.dispose(h)
    }
  }

  private track(result: Result): void {
    const scope = this.scopes[this.scopes.length - 1]
    if (scope === undefined) return
    if (Array.isArray(result)) for (const r of result) this.track(r as Result)
    else if (result !== null && typeof result === "object") scope.add(result as Handle)
  }

  /** The operator `aten::name.overload` (for example `aten::add.Tensor`; no overload: `aten::relu`), resolved once. */
  private opHandle(name: string): OpHandle {
    let op = this.ops.get(name)
    if (op === undefined) {
      const dot = name.indexOf(".", name.indexOf("::") + 2)
      op = dot < 0 ? this.addon.op(name, "") : this.addon.op(name.slice(0, dot), name.slice(dot + 1))
      this.ops.set(name, op)
    }
    return op
  }

  /** Calls an operator; tensors it returns are released at the end of the running kernel unless adopted. */
  call(name: string, ...args: ReadonlyArray<Arg>): Result {
    const result = this.addon.call(this.opHandle(name), args)
    this.track(result)
    return result
  }

  /** Calls an operator that returns one tensor. */
  op(name: string, ...args: ReadonlyArray<Arg>): Handle {
    return this.call(name, ...args) as Handle
  }

  /** Calls an operator that returns several tensors. */
  ops2(name: string, ...args: ReadonlyArray<Arg>): ReadonlyArray<Handle> {
    return this.call(name, ...args) as ReadonlyArray<Handle>
  }

  /** The tensor of a kernel input, viewed at the input's shape. */
  input(info: tf.TensorInfo): Handle {
    const stored = this.data.get(info.dataId)
    if (stored.handle === undefined) throw new Error(`torch backend: ${info.dtype} tensors have no torch kernels`)
    return sameShape(stored.shape, info.shape) ? stored.handle : this.op("aten::reshape", stored.handle, info.shape)
  }

  /** Whether the input is stored natively (string tensors are not). */
  isNative(info: tf.TensorInfo): boolean {
    return this.data.get(info.dataId).handle !== undefined
  }

  /**
   * A kernel output from an operator result, cast to `dtype` when the operator gave another type (ATen reduces
   * integers to int64, for example). Passing an input's own handle stores an alias of it.
   */
  output(handle: Handle, dtype: tf.DataType): tf.TensorInfo {
    const scope = this.scopes[this.scopes.length - 1]
    let h = scope?.has(handle) === true ? handle : this.op("aten::alias", handle)
    const native = this.addon.dtype(h)
    if (atenOf[dtype] !== native) h = this.cast(h, dtype)
    return this.adopt(h, dtype)
  }

  /** The tensor converted to a tfjs dtype. */
  cast(handle: Handle, dtype: tf.DataType): Handle {
    const code =
      dtype === "float32"
        ? ScalarType.float32
        : dtype === "int32"
          ? ScalarType.int32
          : dtype === "bool"
            ? ScalarType.bool
            : undefined
    if (code === undefined) throw new Error(`torch backend: cannot cast to ${dtype}`)
    return this.op("aten::to.dtype", handle, code, false, false, null)
  }

  /** The ATen dtype name of a handle (`Float`, `Int`, `Long`, `Bool`, ...), as tfjs's dtype. */
  dtypeOf(handle: Handle): tf.DataType {
    return tfDType(this.addon.dtype(handle))
  }

  /** A new tensor holding `values` (constants kernels need), released with the running kernel. */
  constant(values: Float32Array | Int32Array | Uint8Array, shape: ReadonlyArray<number>, dtype: StoredDType): Handle {
    const h = this.addon.fromData(values, shape, dtype)
    this.track(h)
    return h
  }

  /** Stores the values of a computation done elsewhere (the cpu fallback) as a kernel output. */
  outputValues(values: tf.BackendValues, shape: Array<number>, dtype: tf.DataType): tf.TensorInfo {
    return { dataId: this.write(values, shape, dtype), shape, dtype }
  }

  /** A new dataId sharing an input's data at another shape (Reshape, Identity: no copy, like the cpu backend). */
  share(info: tf.TensorInfo, shape: Array<number>): tf.TensorInfo {
    this.incRef(info.dataId)
    return { dataId: info.dataId, shape, dtype: info.dtype }
  }
}
