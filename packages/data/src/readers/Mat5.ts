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
