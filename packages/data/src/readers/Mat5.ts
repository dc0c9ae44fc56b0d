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

/** One numeric variable of a MATLAB level-5 `.mat` file. */
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
  if (bytes % size !== 0)
    return fail(`a numeric element of ${bytes} bytes is not a whole number of ${size}-byte values`)
  if (offset + bytes > view.byteLength)
    return fail(
      `a numeric element of ${bytes} bytes runs past the end of its data (${view.byteLength - offset} bytes left)`
    )
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
  if (offset + 8 > end)
    return fail(`an element tag at byte ${offset} runs past the end of its enclosing element (byte ${end})`)
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
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    return fail(`dimensions [${dims.join(", ")}] are not non-negative integers`)
  const nameEl = element(view, dimsEl.next, end, le)
  const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameEl.offset, nameEl.bytes))
  // numeric classes: mxDOUBLE 6 .. mxUINT64 15
  if (cls < 6 || cls > 15 || complex === 1 || nameEl.next >= end) return undefined
  const real = element(view, nameEl.next, end, le)
  const size = sizes[real.type]
  if (size === undefined) return fail(`variable "${name}": unsupported numeric type ${real.type}`)
  const declared = dims.reduce((a, d) => a * d, 1)
  if (declared * size !== real.bytes) {
    return fail(
      `variable "${name}": dimensions [${dims.join(", ")}] declare ${declared} values but its data holds ${real.bytes / size}`
    )
  }
  return { name, dims, data: readNumbers(view, real.offset, real.type, real.bytes, le) }
}

interface Budget {
  inflated: number
  readonly max: number
}

/**
 * Walks the top-level elements from `start`, inflating compressed ones within the budget (one level: a compressed
 * element inside another is refused), and calls `onMatrix` with the bounds of each miMATRIX element's body.
 */
const walkElements = (
  view: DataView,
  start: number,
  le: boolean,
  budget: Budget,
  depth: number,
  onMatrix: (view: DataView, start: number, end: number) => void
): void => {
  let offset = start
  const end = view.byteLength
  while (offset + 8 <= end) {
    const el = element(view, offset, end, le)
    if (el.type === miCOMPRESSED) {
      if (depth > 0) throw new Mat5FormatError(`a compressed element at byte ${offset} is nested inside another one`)
      const left = budget.max - budget.inflated
      let raw: Uint8Array
      try {
        raw = inflateSync(new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes), {
          maxOutputLength: Math.max(1, left)
        })
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        throw new Mat5FormatError(
          code === "ERR_BUFFER_TOO_LARGE"
            ? `compressed data inflates past the limit of ${budget.max} bytes (a decompression bomb, or raise maxInflatedBytes)`
            : `a compressed element at byte ${offset} does not inflate: ${e instanceof Error ? e.message : String(e)}`
        )
      }
      budget.inflated += raw.byteLength
      walkElements(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, le, budget, depth + 1, onMatrix)
    } else if (el.type === miMATRIX) {
      onMatrix(view, el.offset, el.offset + el.bytes)
    }
    offset = el.type === miCOMPRESSED ? el.offset + el.bytes : el.next
  }
}

/** Checks the 128-byte header of a level-5 MAT-file; returns the view and the byte order. */
const open = (bytes: Uint8Array): { readonly view: DataView; readonly le: boolean } => {
  if (bytes.length < 128) return fail("too short for a MAT-file header")
  const header = new TextDecoder().decode(bytes.subarray(0, 10))
  if (!header.startsWith("MATLAB 5.0"))
    return fail("not a MATLAB 5.0 MAT-file (v7.3 files are HDF5: export them to CSV)")
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!)
  const le = endian === "IM"
  if (!le && endian !== "MI") return fail("bad endian indicator")
  return { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), le }
}

const budgetOf = (options: ParseOptions): Budget => ({
  inflated: 0,
  max: options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED
})

/** Parses the numeric variables of a level-5 MAT-file. Throws a {@link Mat5FormatError} on a file that is not one. */
export const parse = (bytes: Uint8Array, options: ParseOptions = {}): Array<MatVariable> => {
  const { le, view } = open(bytes)
  const out: Array<MatVariable> = []
  walkElements(view, 128, le, budgetOf(options), 0, (v, start, end) => {
    const variable = parseMatrix(v, start, end, le)
    if (variable !== undefined) out.push(variable)
  })
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
export const write = (
  variables: ReadonlyArray<{ readonly name: string; readonly rows: ReadonlyArray<ReadonlyArray<number>> }>,
  compress = true
): Uint8Array => {
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

// ---------------------------------------------------------------------------------------------------------------
// Cells, structs and char arrays (GRID's `features_and_partitions.mat` keeps its splits in a cell of structs)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Any MAT-file value this reader understands: a real numeric array, a char array, a cell array or a struct
 * array (elements in MATLAB's column-major order). Sparse, complex, object and function-handle values are
 * `Unsupported`.
 */
export type MatValue =
  | { readonly _tag: "Numeric"; readonly dims: ReadonlyArray<number>; readonly data: Float64Array }
  | { readonly _tag: "Char"; readonly dims: ReadonlyArray<number>; readonly text: string }
  | { readonly _tag: "Cell"; readonly dims: ReadonlyArray<number>; readonly cells: ReadonlyArray<MatValue> }
  | {
      readonly _tag: "Struct"
      readonly dims: ReadonlyArray<number>
      readonly fields: ReadonlyArray<string>
      /** One record per element, each mapping a field name to its value. */
      readonly elements: ReadonlyArray<Readonly<Record<string, MatValue>>>
    }
  | { readonly _tag: "Unsupported"; readonly dims: ReadonlyArray<number>; readonly matlabClass: number }

const mxCELL = 1
const mxSTRUCT = 2
const mxCHAR = 4
const miUTF8 = 16
const miUTF16 = 17

const count = (dims: ReadonlyArray<number>): number => dims.reduce((a, d) => a * d, 1)

const decodeText = (view: DataView, el: Element, le: boolean): string => {
  if (el.type === miUINT16 || el.type === miUTF16) {
    let s = ""
    for (let i = 0; i < el.bytes / 2; i++) s += String.fromCharCode(view.getUint16(el.offset + 2 * i, le))
    return s
  }
  return new TextDecoder(el.type === miUTF8 ? "utf-8" : "latin1").decode(
    new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes)
  )
}

/** Deepest nesting of cells and structs accepted (a hostile file could otherwise exhaust the stack). */
const MAX_NESTING = 32

/** Parses the body of one miMATRIX element (`start` .. `end`, after its tag) into a value and its name. */
const parseValue = (
  view: DataView,
  start: number,
  end: number,
  le: boolean,
  depth = 0
): { readonly name: string; readonly value: MatValue } => {
  if (end <= start) return { name: "", value: { _tag: "Numeric", dims: [0, 0], data: new Float64Array(0) } }
  if (depth > MAX_NESTING) return fail(`cells or structs nested deeper than ${MAX_NESTING} levels`)
  const flags = element(view, start, end, le)
  if (flags.bytes < 4) return fail(`array flags at byte ${start} hold ${flags.bytes} bytes (at least 4)`)
  const word = view.getUint32(flags.offset, le)
  const cls = word & 0xff
  const complex = (word >>> 11) & 1
  const dimsEl = element(view, flags.next, end, le)
  const dims = Array.from(readNumbers(view, dimsEl.offset, dimsEl.type, dimsEl.bytes, le))
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    return fail(`dimensions [${dims.join(", ")}] are not non-negative integers`)
  const nameEl = element(view, dimsEl.next, end, le)
  const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameEl.offset, nameEl.bytes))
  const n = count(dims)
  if (cls === mxCELL) {
    // each cell is an element of at least 8 bytes: a count past that cannot be in the file
    if (n > (end - nameEl.next) / 8)
      return fail(`cell "${name}" declares ${n} cells but its element holds ${end - nameEl.next} bytes`)
    const cells: Array<MatValue> = []
    let at = nameEl.next
    for (let i = 0; i < n; i++) {
      const el = element(view, at, end, le)
      cells.push(parseValue(view, el.offset, el.offset + el.bytes, le, depth + 1).value)
      at = el.next
    }
    return { name, value: { _tag: "Cell", dims, cells } }
  }
  if (cls === mxSTRUCT) {
    const lengthEl = element(view, nameEl.next, end, le)
    const fieldLength = view.getInt32(lengthEl.offset, le)
    if (fieldLength <= 0 || fieldLength > 64)
      return fail(`struct "${name}": field name length ${fieldLength} (expected 1 to 64)`)
    const namesEl = element(view, lengthEl.next, end, le)
    const fields: Array<string> = []
    for (let f = 0; f < Math.floor(namesEl.bytes / fieldLength); f++) {
      const raw = new Uint8Array(view.buffer, view.byteOffset + namesEl.offset + f * fieldLength, fieldLength)
      const zero = raw.indexOf(0)
      fields.push(new TextDecoder().decode(zero < 0 ? raw : raw.subarray(0, zero)))
    }
    if (n * fields.length > (end - namesEl.next) / 8) {
      return fail(
        `struct "${name}" declares ${n} x ${fields.length} fields but its element holds ${end - namesEl.next} bytes`
      )
    }
    const elements: Array<Record<string, MatValue>> = []
    let at = namesEl.next
    for (let i = 0; i < n; i++) {
      const record: Record<string, MatValue> = {}
      for (const field of fields) {
        const el = element(view, at, end, le)
        record[field] = parseValue(view, el.offset, el.offset + el.bytes, le, depth + 1).value
        at = el.next
      }
      elements.push(record)
    }
    return { name, value: { _tag: "Struct", dims, fields, elements } }
  }
  if (cls === mxCHAR) {
    if (n === 0 || nameEl.next >= end) return { name, value: { _tag: "Char", dims, text: "" } }
    return { name, value: { _tag: "Char", dims, text: decodeText(view, element(view, nameEl.next, end, le), le) } }
  }
  if (cls < 6 || cls > 15 || complex === 1) return { name, value: { _tag: "Unsupported", dims, matlabClass: cls } }
  if (n === 0 || nameEl.next >= end) return { name, value: { _tag: "Numeric", dims, data: new Float64Array(0) } }
  const real = element(view, nameEl.next, end, le)
  return { name, value: { _tag: "Numeric", dims, data: readNumbers(view, real.offset, real.type, real.bytes, le) } }
}

/**
 * Parses every variable of a level-5 MAT-file, cells and structs included (what scipy's `loadmat` returns, as
 * tagged values), with the same bounds as {@link parse}. Throws a {@link Mat5FormatError} on a file that is not one.
 */
export const parseValues = (
  bytes: Uint8Array,
  options: ParseOptions = {}
): Array<{ readonly name: string; readonly value: MatValue }> => {
  const { le, view } = open(bytes)
  const out: Array<{ name: string; value: MatValue }> = []
  walkElements(view, 128, le, budgetOf(options), 0, (v, start, end) => {
    out.push(parseValue(v, start, end, le))
  })
  return out
}

const encodeValue = (name: string, value: MatValue): Uint8Array => {
  const flags = new Uint8Array(8)
  const dims = new Uint8Array(4 * value.dims.length)
  value.dims.forEach((d, i) => {
    new DataView(dims.buffer).setInt32(4 * i, d, true)
  })
  const nameBytes = new TextEncoder().encode(name)
  const head = (cls: number) => {
    new DataView(flags.buffer).setUint32(0, cls, true)
    return [
      tag(miUINT32, 8),
      flags,
      tag(miINT32, dims.length),
      padTo8(dims),
      tag(miINT8, nameBytes.length),
      padTo8(nameBytes)
    ]
  }
  let parts: Array<Uint8Array>
  switch (value._tag) {
    case "Numeric": {
      const values = new Uint8Array(value.data.length * 8)
      value.data.forEach((v, i) => {
        new DataView(values.buffer).setFloat64(8 * i, v, true)
      })
      parts = [...head(6), tag(miDOUBLE, values.length), values]
      break
    }
    case "Char": {
      const chars = new Uint8Array(value.text.length * 2)
      for (let i = 0; i < value.text.length; i++)
        new DataView(chars.buffer).setUint16(2 * i, value.text.charCodeAt(i), true)
      parts = [...head(mxCHAR), tag(miUINT16, chars.length), padTo8(chars)]
      break
    }
    case "Cell":
      parts = [...head(mxCELL), ...value.cells.map((c) => encodeValue("", c))]
      break
    case "Struct": {
      const length = 32
      const names = new Uint8Array(length * value.fields.length)
      value.fields.forEach((f, i) => {
        names.set(new TextEncoder().encode(f).subarray(0, length - 1), i * length)
      })
      const lengthEl = new Uint8Array(8)
      new DataView(lengthEl.buffer).setUint32(0, (4 << 16) | miINT32, true)
      new DataView(lengthEl.buffer).setInt32(4, length, true)
      parts = [
        ...head(mxSTRUCT),
        lengthEl,
        tag(miINT8, names.length),
        padTo8(names),
        ...value.elements.flatMap((record) => value.fields.map((f) => encodeValue("", record[f]!)))
      ]
      break
    }
    case "Unsupported":
      throw new Error(`cannot write MATLAB class ${value.matlabClass}`)
  }
  const body = concat(parts)
  return concat([tag(miMATRIX, body.length), body])
}

/** Writes values (numeric, char, cell, struct) as a level-5 MAT-file, uncompressed (what the tests' fixtures need). */
export const writeValues = (
  variables: ReadonlyArray<{ readonly name: string; readonly value: MatValue }>
): Uint8Array => {
  const header = new Uint8Array(128).fill(32)
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by reidfx"))
  header.fill(0, 116, 124)
  new DataView(header.buffer).setUint16(124, 0x0100, true)
  header[126] = "I".charCodeAt(0)
  header[127] = "M".charCodeAt(0)
  return concat([header, ...variables.map((v) => encodeValue(v.name, v.value))])
}
