/**
 * A minimal reader and writer of MATLAB level-5 MAT-files for numeric matrices: what MARS ships
 * (`tracks_train_info.mat`, `tracks_test_info.mat`, `query_IDX.mat`, written by MATLAB, read by torchreid
 * with `scipy.io.loadmat`). Supported: little- and big-endian files, `miCOMPRESSED` (zlib) elements, real
 * numeric arrays of any numeric storage type. Not supported (skipped): cells, structs, sparse, complex, char.
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

const readNumbers = (view: DataView, offset: number, type: number, bytes: number, le: boolean): Float64Array => {
  const size = sizes[type]
  if (size === undefined) throw new Error(`unsupported numeric type ${type}`)
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

const element = (view: DataView, offset: number, le: boolean): Element => {
  const first = view.getUint32(offset, le)
  if (first >>> 16 !== 0) {
    // small data element: 2 bytes size, 2 bytes type, 4 bytes data
    return { type: first & 0xffff, bytes: first >>> 16, offset: offset + 4, next: offset + 8 }
  }
  const bytes = view.getUint32(offset + 4, le)
  const padded = (bytes + 7) & ~7
  return { type: first, bytes, offset: offset + 8, next: offset + 8 + padded }
}

const parseMatrix = (view: DataView, start: number, end: number, le: boolean): MatVariable | undefined => {
  const flags = element(view, start, le)
  const cls = view.getUint32(flags.offset, le) & 0xff
  const complex = (view.getUint32(flags.offset, le) >>> 11) & 1
  const dimsEl = element(view, flags.next, le)
  const dims = Array.from(readNumbers(view, dimsEl.offset, dimsEl.type, dimsEl.bytes, le))
  const nameEl = element(view, dimsEl.next, le)
  const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameEl.offset, nameEl.bytes))
  // numeric classes: mxDOUBLE 6 .. mxUINT64 15
  if (cls < 6 || cls > 15 || complex === 1 || nameEl.next >= end) return undefined
  const real = element(view, nameEl.next, le)
  return { name, dims, data: readNumbers(view, real.offset, real.type, real.bytes, le) }
}

const parseElements = (view: DataView, start: number, le: boolean, out: Array<MatVariable>): void => {
  let offset = start
  while (offset + 8 <= view.byteLength) {
    const el = element(view, offset, le)
    if (el.type === miCOMPRESSED) {
      const raw = inflateSync(new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes))
      parseElements(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, le, out)
    } else if (el.type === miMATRIX) {
      const v = parseMatrix(view, el.offset, el.offset + el.bytes, le)
      if (v !== undefined) out.push(v)
    }
    offset = el.type === miCOMPRESSED ? el.offset + el.bytes : el.next
  }
}

/** Parses the numeric variables of a level-5 MAT-file. Throws on a file that is not one. */
export const parse = (bytes: Uint8Array): Array<MatVariable> => {
  if (bytes.length < 128) throw new Error("too short for a MAT-file header")
  const header = new TextDecoder().decode(bytes.subarray(0, 10))
  if (!header.startsWith("MATLAB 5.0")) throw new Error("not a MATLAB 5.0 MAT-file (v7.3 files are HDF5: export them to CSV)")
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!)
  const le = endian === "IM"
  if (!le && endian !== "MI") throw new Error("bad endian indicator")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<MatVariable> = []
  parseElements(view, 128, le, out)
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
  return new TextDecoder(el.type === miUTF8 ? "utf-8" : "latin1").decode(new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes))
}

/** Parses the body of one miMATRIX element (`start` .. `end`, after its tag) into a value and its name. */
const parseValue = (view: DataView, start: number, end: number, le: boolean): { readonly name: string; readonly value: MatValue } => {
  if (end <= start) return { name: "", value: { _tag: "Numeric", dims: [0, 0], data: new Float64Array(0) } }
  const flags = element(view, start, le)
  const word = view.getUint32(flags.offset, le)
  const cls = word & 0xff
  const complex = (word >>> 11) & 1
  const dimsEl = element(view, flags.next, le)
  const dims = Array.from(readNumbers(view, dimsEl.offset, dimsEl.type, dimsEl.bytes, le))
  const nameEl = element(view, dimsEl.next, le)
  const name = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + nameEl.offset, nameEl.bytes))
  const n = count(dims)
  if (cls === mxCELL) {
    const cells: Array<MatValue> = []
    let at = nameEl.next
    for (let i = 0; i < n; i++) {
      const el = element(view, at, le)
      cells.push(parseValue(view, el.offset, el.offset + el.bytes, le).value)
      at = el.next
    }
    return { name, value: { _tag: "Cell", dims, cells } }
  }
  if (cls === mxSTRUCT) {
    const lengthEl = element(view, nameEl.next, le)
    const fieldLength = view.getInt32(lengthEl.offset, le)
    const namesEl = element(view, lengthEl.next, le)
    const fields: Array<string> = []
    for (let f = 0; f < namesEl.bytes / fieldLength; f++) {
      const raw = new Uint8Array(view.buffer, view.byteOffset + namesEl.offset + f * fieldLength, fieldLength)
      const zero = raw.indexOf(0)
      fields.push(new TextDecoder().decode(zero < 0 ? raw : raw.subarray(0, zero)))
    }
    const elements: Array<Record<string, MatValue>> = []
    let at = namesEl.next
    for (let i = 0; i < n; i++) {
      const record: Record<string, MatValue> = {}
      for (const field of fields) {
        const el = element(view, at, le)
        record[field] = parseValue(view, el.offset, el.offset + el.bytes, le).value
        at = el.next
      }
      elements.push(record)
    }
    return { name, value: { _tag: "Struct", dims, fields, elements } }
  }
  if (cls === mxCHAR) {
    if (n === 0 || nameEl.next >= end) return { name, value: { _tag: "Char", dims, text: "" } }
    return { name, value: { _tag: "Char", dims, text: decodeText(view, element(view, nameEl.next, le), le) } }
  }
  if (cls < 6 || cls > 15 || complex === 1) return { name, value: { _tag: "Unsupported", dims, matlabClass: cls } }
  if (n === 0 || nameEl.next >= end) return { name, value: { _tag: "Numeric", dims, data: new Float64Array(0) } }
  const real = element(view, nameEl.next, le)
  return { name, value: { _tag: "Numeric", dims, data: readNumbers(view, real.offset, real.type, real.bytes, le) } }
}

const parseAllElements = (view: DataView, start: number, le: boolean, out: Array<{ name: string; value: MatValue }>): void => {
  let offset = start
  while (offset + 8 <= view.byteLength) {
    const el = element(view, offset, le)
    if (el.type === miCOMPRESSED) {
      const raw = inflateSync(new Uint8Array(view.buffer, view.byteOffset + el.offset, el.bytes))
      parseAllElements(new DataView(raw.buffer, raw.byteOffset, raw.byteLength), 0, le, out)
    } else if (el.type === miMATRIX) {
      out.push(parseValue(view, el.offset, el.offset + el.bytes, le))
    }
    offset = el.type === miCOMPRESSED ? el.offset + el.bytes : el.next
  }
}

/**
 * Parses every variable of a level-5 MAT-file, cells and structs included (what scipy's `loadmat` returns, as
 * tagged values). Throws on a file that is not a level-5 MAT-file.
 */
export const parseValues = (bytes: Uint8Array): Array<{ readonly name: string; readonly value: MatValue }> => {
  if (bytes.length < 128) throw new Error("too short for a MAT-file header")
  const header = new TextDecoder().decode(bytes.subarray(0, 10))
  if (!header.startsWith("MATLAB 5.0")) throw new Error("not a MATLAB 5.0 MAT-file (v7.3 files are HDF5: export them to CSV)")
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!)
  const le = endian === "IM"
  if (!le && endian !== "MI") throw new Error("bad endian indicator")
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Array<{ name: string; value: MatValue }> = []
  parseAllElements(view, 128, le, out)
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
    return [tag(miUINT32, 8), flags, tag(miINT32, dims.length), padTo8(dims), tag(miINT8, nameBytes.length), padTo8(nameBytes)]
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
      for (let i = 0; i < value.text.length; i++) new DataView(chars.buffer).setUint16(2 * i, value.text.charCodeAt(i), true)
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
export const writeValues = (variables: ReadonlyArray<{ readonly name: string; readonly value: MatValue }>): Uint8Array => {
  const header = new Uint8Array(128).fill(32)
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by reidfx"))
  header.fill(0, 116, 124)
  new DataView(header.buffer).setUint16(124, 0x0100, true)
  header[126] = "I".charCodeAt(0)
  header[127] = "M".charCodeAt(0)
  return concat([header, ...variables.map((v) => encodeValue(v.name, v.value))])
}
