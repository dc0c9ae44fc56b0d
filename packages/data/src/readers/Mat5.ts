/**
 * A minimal reader and writer of MATLAB level-5 MAT-files for numeric matrices: what MARS ships
 * (`tracks_train_info.mat`, `tracks_test_info.mat`, `query_IDX.mat`, written by MATLAB, read by torchreid
 * with `scipy.io.loadmat`). Supported: little- and big-endian files, `miCOMPRESSED` (zlib) elements, real
 * numeric arrays of any numeric storage type. Not supported (skipped): cells, structs, sparse, complex, char.
 *
 * The parser is bounded for hostile files: every declared element size is checked against the bytes that
 * remain in its enclosing element before anything is read or allocated (a size >= 2^31 no longer wraps to a
 * negative length), dimensions must be non-negative integers whose product equals the stored element count,
 * decompression output is capped ({@link ParseOptions.maxInflatedBytes}, default 512 MiB per file), and
 * compressed elements nest at most once; every malformed file is a {@link Mat5FormatError}, never a hang or a
 * `RangeError`. Fuzzed by `packages/data/test/Mat5Fuzz.test.ts`.
 * @since 0.1.0
 */
import { deflateSync, inflateSync } from "node:zlib"

export interface MatVariable {
  readonly name: string
  /** MATLAB dimensions (rows, cols, ...). */
  readonly dims: ReadonlyArray<number>
  /** Values in column-major order (MATLAB's). */
  readonly data: Float64Array
}

const miINT8 = 1
const miUINT8 = 2
const miINT16 = 3
const miUINT16 = 4
const miINT32 = 5
const miUINT32 = 6
const miSINGLE = 7
const miDOUBLE = 9
const miINT64 = 12
const miUINT64 = 13
const miMATRIX = 14
const miCOMPRESSED = 15

const sizes: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 }

/** A MAT-file that is malformed or exceeds a limit; the message says which element and why. */
export class Mat5FormatError extends Error {
  override readonly name = "Mat5FormatError"
}

const fail = (message: string): never => {
  throw new Mat5FormatError(message)
}

/** Limits of {@link parse}. */
export interface ParseOptions {
  /** Most bytes all compressed elements of a file may inflate to (default 512 MiB). */
  readonly maxInflatedBytes?: number
}

const DEFAULT_MAX_INFLATED = 512 * 1024 * 1024

const readNumbers = (view: DataView, offset: number, type: number, bytes: number, le: boolean): Float64Array => {
  const size = sizes[type]
  if (size === undefined) return fail(`unsupported numeric type ${type}`)
  if (bytes % size !== 0) return fail(`a numeric element of ${bytes} bytes is not a whole number of ${size}-byte values`)
  if (offset + bytes > view.byteLength) return fail(`a numeric element of ${bytes} bytes runs past the end of its data (${view.byteLength - offset} bytes left)`)
  const n = bytes / size
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const o = offset + i * size
    switch (type) {
      case miINT8:
        out[i] = view.getInt8(o)
        break
      case miUINT8:
        out[i] = view.getUint8(o)
        break
      case miINT16:
        out[i] = view.getInt16(o, le)
        break
      case miUINT16:
        out[i] = view.getUint16(o, le)
        break
      case miINT32:
        out[i] = view.getInt32(o, le)
        break
      case miUINT32:
        out[i] = view.getUint32(o, le)
        break
      case miSINGLE:
        out[i] = view.getFloat32(o, le)
        break
      case miDOUBLE:
        out[i] = view.getFloat64(o, le)
        break
      case miINT64:
        out[i] = Number(view.getBigInt64(o, le))
        break
      case miUINT64:
        out[i] = Number(view.getBigUint64(o, le))
        break
    }
  }
  return out
}

interface Element {
  readonly type: number
  readonly offset: number
  readonly bytes: number
  /** Offset of the next element. */
  readonly next: number
}

/** The element tag at `offset`; its data must fit before `end` (the end of the enclosing element). */
const element = (view: DataView, offset: number, end: number, le: boolean): Element => {
  if (offset + 8 > end) return fail(`an element tag at byte ${offset} runs past the end of its enclosing element (byte ${end})`)
  const first = view.getUint32(offset, le)
  if (first >>> 16 !== 0) {
    // small data element: 2 bytes size, 2 bytes type, 4 bytes data
    const bytes = first >>> 16
    if (bytes > 4) return fail(`a small data element at byte ${offset} declares ${bytes} bytes (at most 4)`)
    return { type: first & 0xffff, bytes, offset: offset + 4, next: offset + 8 }
  }
  const bytes = view.getUint32(offset + 4, le)
  if (offset + 8 + bytes > end) {
    return fail(`an element at byte ${offset} declares ${bytes} bytes but only ${end - offset - 8} remain`)
  }
  // padded to 8 bytes (in arithmetic: a size >= 2^31 must not wrap to a negative length)
  const padded = Math.ceil(bytes / 8) * 8
  return { type: first, bytes, offset: offset + 8, next: Math.min(end, offset + 8 + padded) }
}

const parseMatrix = (view: DataView, start: number, end: number, le: boolean): MatVariable | undefined => {
  const flags = element(view, start, end, le)
  if (flags.bytes < 4) return fail(`array flags at byte ${start} hold ${flags.bytes} bytes (at least 4)`)
  const cls = view.getUint32(flags.offset, le) & 0xff
  const complex = (view.getUint32(flags.offset, le) >>> 11) & 1
  const dimsEl = element(view, flags.next, end, le)
  const dims = Array.from(readNumbers(view, dimsEl.offset, dimsEl.type, dimsEl.bytes, le))
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) return fail(`dimensions [${dims.join(", ")}] are not non-negative integers`)
  const nameEl = element(view, dimsEl.next, end, le)
  const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameEl.offset, nameEl.bytes))
  // numeric classes: mxDOUBLE 6 .. mxUINT64 15
  if (cls < 6 || cls > 15 || complex === 1 || nameEl.next >= end) return undefined
  const real = element(view, nameEl.next, end, le)
  const size = sizes[real.type]
  if (size === undefined) return fail(`variable "${name}": unsupported numeric type ${real.type}`)
  const declared = dims.reduce((a, d) => a * d, 1)
  if (declared * size !== real.bytes) {
    return fail(`variable "${name}": dimensions [${dims.join(", ")}] declare ${declared} values but its data holds ${real.bytes / size}`)
  }
  return { name, dims, data: readNumbers(view, real.offset, real.type, real.bytes, le) }
}

interface Budget {
  inflated: number
  readonly max: number
}

const parseElements = (view: DataView, start: number, le: boolean, out: Array<MatVariable>, budget: Budget, depth: number): void => {
  let offset = start
  const end = view.byteLength
  while (offset + 8 <= end) {
    const el = element(view, offset, end, le)
    if (el.type === miCOMPRESSED) {
      if (depth > 0) throw new Mat5FormatError(`a compressed element at byte ${offset} is nested inside another one`)
      const left = budget.max - budget.inflated
      let raw: Uint8Array
      try {
        raw = inflateSync(new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes), { maxOutputLength: Math.max(1, left) })
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        throw new Mat5FormatError(
          code === "ERR_BUFFER_TOO_LARGE"
            ? `compressed data inflates past the limit of ${budget.max} bytes (a decompression bomb, or raise maxInflatedBytes)`
            : `a compressed element at byte ${offset} does not inflate: ${e instanceof Error ? e.message : String(e)}`
        )
      }
      budget.inflated += raw.byteLength
      parseElements(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, le, out, budget, depth + 1)
    } else if (el.type === miMATRIX) {
      const v = parseMatrix(view, el.offset, el.offset + el.bytes, le)
      if (v !== undefined) out.push(v)
    }
    offset = el.type === miCOMPRESSED ? el.offset + el.bytes : el.next
  }
}

/** Parses the numeric variables of a level-5 MAT-file. Throws a {@link Mat5FormatError} on a file that is not one. */
export const parse = (bytes: Uint8Array, options: ParseOptions = {}): Array<MatVariable> => {
  if (bytes.length < 128) return fail("too short for a MAT-file header")
  const header = new TextDecoder().decode(bytes.subarray(0, 10))
  if (!header.startsWith("MATLAB 5.0")) return fail("not a MATLAB 5.0 MAT-file (v7.3 files are HDF5: export them to CSV)")
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!)
  const le = endian === "IM"
  if (!le && endian !== "MI") return fail("bad endian indicator")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<MatVariable> = []
  parseElements(view, 128, le, out, { inflated: 0, max: options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED }, 0)
  return out
}

/** Row `r` of a 2-D variable (column-major storage). */
export const row = (v: MatVariable, r: number): Array<number> => {
  const rows = v.dims[0]!
  const cols = v.dims[1] ?? 1
  return Array.from({ length: cols }, (_, c) => v.data[c * rows + r]!)
}

const tag = (type: number, bytes: number): Uint8Array => {
  const b = new Uint8Array(8)
  const view = new DataView(b.buffer)
  view.setUint32(0, type, true)
  view.setUint32(4, bytes, true)
  return b
}
const padTo8 = (b: Uint8Array): Uint8Array => {
  const out = new Uint8Array((b.length + 7) & ~7)
  out.set(b)
  return out
}
const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Writes 2-D double matrices (given row-major as arrays of rows) as a level-5 MAT-file, optionally compressed. */
export const write = (variables: ReadonlyArray<{ readonly name: string; readonly rows: ReadonlyArray<ReadonlyArray<number>> }>, compress = true): Uint8Array => {
  const header = new Uint8Array(128).fill(32)
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by reidfx"))
  header.fill(0, 116, 124)
  new DataView(header.buffer).setUint16(124, 0x0100, true)
  header[126] = "I".charCodeAt(0)
  header[127] = "M".charCodeAt(0)
  const elements = variables.map(({ name, rows }) => {
    const r = rows.length
    const c = rows[0]?.length ?? 0
    const flags = new Uint8Array(8)
    new DataView(flags.buffer).setUint32(0, 6, true) // mxDOUBLE_CLASS
    const dims = new Uint8Array(8)
    new DataView(dims.buffer).setInt32(0, r, true)
    new DataView(dims.buffer).setInt32(4, c, true)
    const nameBytes = new TextEncoder().encode(name)
    const values = new Uint8Array(r * c * 8)
    const dv = new DataView(values.buffer)
    for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) dv.setFloat64((j * r + i) * 8, rows[i]![j]!, true)
    const body = concat([
      tag(miUINT32, 8),
      flags,
      tag(miINT32, 8),
      dims,
      tag(miINT8, nameBytes.length),
      padTo8(nameBytes),
      tag(miDOUBLE, values.length),
      values
    ])
    const matrix = concat([tag(miMATRIX, body.length), body])
    if (!compress) return matrix
    const z = new Uint8Array(deflateSync(matrix))
    return concat([tag(miCOMPRESSED, z.length), z])
  })
  return concat([header, ...elements])
}
