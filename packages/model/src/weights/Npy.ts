/**
 * The numpy `.npy` format (NEP 1, "A simple file format for NumPy arrays"):
 *
 *     6 bytes   magic "\x93NUMPY"
 *     2 bytes   version major, minor (1.0, 2.0 or 3.0)
 *     2 or 4    header length, unsigned little-endian (2 bytes in version 1, 4 in versions 2 and 3)
 *     header    a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 *     data      the elements, C (row-major) or Fortran (column-major) order
 *
 * Parsed here (not with `npyjs`, which `@reidfx/eval` uses for whole feature matrices) because the weights
 * importer reads `.npy` entries inside `.npz` archives lazily and needs the header alone, every float width
 * (f2, f4, f8), int64, big-endian data and Fortran order, all decoded to float32.
 * @since 0.1.0
 */
import { bytesPerElement, decodeToFloat32, elementCount, type TensorDtype } from "./TensorFile.ts"

/** A parsed `.npy` header. @category models */
export interface NpyHeader {
  readonly dtype: TensorDtype
  readonly littleEndian: boolean
  readonly fortranOrder: boolean
  readonly shape: ReadonlyArray<number>
  /** Offset of the data from the start of the `.npy` bytes. */
  readonly dataOffset: number
}

const descrs: Readonly<Record<string, TensorDtype>> = {
  f8: "F64",
  f4: "F32",
  f2: "F16",
  i8: "I64",
  i4: "I32",
  i2: "I16",
  i1: "I8",
  u1: "U8",
  b1: "BOOL"
}

/** Bytes needed to read the header: 10 for version 1, 12 for versions 2 and 3 (then the header itself). */
export const PREAMBLE_BYTES = 12

/**
 * Parses a `.npy` header from the first bytes of the file (at least the whole header). Returns the header, or
 * a description of the problem (`"short"` when more bytes are needed).
 * @category parsing
 */
export const parseHeader = (bytes: Uint8Array): NpyHeader | string => {
  if (bytes.length < 10) return "short"
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
  if (!magic.every((b, i) => bytes[i] === b)) return "not a .npy array (no \\x93NUMPY magic)"
  const major = bytes[6]!
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (major !== 1 && major !== 2 && major !== 3) return `unsupported .npy version ${major}`
  if (major > 1 && bytes.length < 12) return "short"
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const start = major === 1 ? 10 : 12
  if (bytes.length < start + headerLength) return "short"
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLength))
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(text)
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)
  if (descr === null || fortran === null || shapeText === null)
    return `unreadable .npy header ${JSON.stringify(text.trim())}`
  const dtype = descrs[`${descr[2]}${descr[3]}`]
  if (dtype === undefined)
    return `unsupported .npy dtype '${descr[1]}${descr[2]}${descr[3]}' (use a float, int or bool array)`
  const shape = shapeText[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `bad .npy shape (${shapeText[1]})`
  return {
    dtype,
    littleEndian: descr[1] !== ">",
    fortranOrder: fortran[1] === "True",
    shape,
    dataOffset: start + headerLength
  }
}

/** Reorders column-major (Fortran) data of `shape` into row-major order. */
const fortranToC = (data: Float32Array, shape: ReadonlyArray<number>): Float32Array => {
  if (shape.length < 2) return data
  const out = new Float32Array(data.length)
  const index = new Array<number>(shape.length).fill(0)
  const fStrides = shape.map((_, k) => shape.slice(0, k).reduce((a, d) => a * d, 1))
  for (let c = 0; c < data.length; c++) {
    let f = 0
    for (let k = 0; k < shape.length; k++) f += index[k]! * fStrides[k]!
    out[c] = data[f]!
    for (let k = shape.length - 1; k >= 0; k--) {
      index[k]!++
      if (index[k]! < shape[k]!) break
      index[k] = 0
    }
  }
  return out
}

/**
 * Decodes a whole `.npy` array to float32 in row-major order. Returns the header and values, or a description of
 * the problem.
 * @category parsing
 */
export const decode = (bytes: Uint8Array): { readonly header: NpyHeader; readonly data: Float32Array } | string => {
  const header = parseHeader(bytes)
  if (typeof header === "string") return header === "short" ? "truncated .npy header" : header
  const count = elementCount(header.shape)
  const size = bytesPerElement[header.dtype]
  if (bytes.length - header.dataOffset < count * size) {
    return `.npy data has ${bytes.length - header.dataOffset} bytes, shape [${header.shape.join(", ")}] needs ${count * size}`
  }
  const data = decodeToFloat32(
    bytes.subarray(header.dataOffset, header.dataOffset + count * size),
    header.dtype,
    count,
    header.littleEndian
  )
  return { header, data: header.fortranOrder ? fortranToC(data, header.shape) : data }
}
