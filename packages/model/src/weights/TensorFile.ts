/**
 * A file of named tensors, read lazily: the entries (name, dtype, shape) are known once the file is opened,
 * the data of one tensor is read when it is asked for. `.safetensors` and `.npz` files are opened as a
 * {@link TensorFile}; the importer maps their names onto a reidfx network.
 *
 * Element types carry the safetensors names (`F32`, `F16`, `BF16`, `F64`, `I64`, ...); every numeric type is
 * decoded to float32 for reidfx (integers exactly up to 2^24, int64 through `BigInt`).
 * @since 0.1.0
 */
import { Effect } from "effect"
import { WeightsIOError } from "../errors.ts"

/** Element types of a tensor file (safetensors' names; `.npy` dtypes map onto them). @category models */
export type TensorDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL"

/** Bytes per element of each dtype. @category models */
export const bytesPerElement: Readonly<Record<TensorDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1
}

/** Whether a string is a known dtype. @category guards */
export const isTensorDtype = (s: string): s is TensorDtype => Object.hasOwn(bytesPerElement, s)

/** One tensor of a file, before its data is read. @category models */
export interface TensorEntry {
  readonly name: string
  readonly dtype: TensorDtype
  readonly shape: ReadonlyArray<number>
}

/** An open tensor file: its entries, and a reader of one tensor's values as float32 (row-major). @category models */
export interface TensorFile {
  readonly path: string
  readonly format: "safetensors" | "npz"
  readonly entries: ReadonlyArray<TensorEntry>
  /** Free-form metadata (`__metadata__` of safetensors); empty for npz. */
  readonly metadata: Readonly<Record<string, string>>
  /** The values of a tensor, decoded to float32 in row-major (C) order. */
  readonly read: (name: string) => Effect.Effect<Float32Array, WeightsIOError>
}

/** Number of elements of a shape (1 for a scalar). @category utils */
export const elementCount = (shape: ReadonlyArray<number>): number => shape.reduce((n, d) => n * d, 1)

const hostLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** IEEE 754 half precision to float (exact). */
const halfToFloat = (h: number): number => {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

/**
 * Decodes `count` elements of `dtype` from little-endian (or big-endian) bytes into float32. bfloat16 is the
 * upper half of a float32, so it is widened by a 16-bit shift.
 * @category utils
 */
export const decodeToFloat32 = (
  bytes: Uint8Array,
  dtype: TensorDtype,
  count: number,
  littleEndian = true
): Float32Array => {
  // fast path: float32 in the host's byte order is a copy
  if (dtype === "F32" && littleEndian === hostLittleEndian) return new Float32Array(bytes.slice(0, count * 4).buffer)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Float32Array(count)
  switch (dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, littleEndian)
      break
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, littleEndian)
      break
    case "F16":
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, littleEndian))
      break
    case "BF16": {
      const widened = new DataView(new ArrayBuffer(4))
      for (let i = 0; i < count; i++) {
        widened.setUint32(0, view.getUint16(i * 2, littleEndian) << 16)
        out[i] = widened.getFloat32(0)
      }
      break
    }
    case "I64":
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, littleEndian))
      break
    case "I32":
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, littleEndian)
      break
    case "I16":
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, littleEndian)
      break
    case "I8":
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i)
      break
    case "U8":
    case "BOOL":
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i)
      break
  }
  return out
}

/** The entry of `name`, or a {@link WeightsIOError} naming it. @category utils */
export const entryOf = (
  file: { readonly path: string; readonly entries: ReadonlyArray<TensorEntry> },
  name: string
): Effect.Effect<TensorEntry, WeightsIOError> => {
  const entry = file.entries.find((e) => e.name === name)
  return entry === undefined
    ? Effect.fail(new WeightsIOError({ path: file.path, detail: `no tensor named "${name}" in the file` }))
    : Effect.succeed(entry)
}
