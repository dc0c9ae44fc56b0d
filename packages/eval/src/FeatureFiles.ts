/**
 * Reading features and labels written by any framework: numpy `.npy` (parsed with npyjs), JSON and CSV.
 *
 * | file | features | labels |
 * |---|---|---|
 * | `.npy` | 2-D `[n, dim]`, any float or integer dtype, C or Fortran order | 1-D `[n]` (one column) or 2-D `[n, 2]` (identity, camera) |
 * | `.json` | `[[...], ...]` or `{ "features": [[...], ...] }` | `[...]`, `{ "ids": [...], "cams": [...] }` or `[{ "id": 1, "cam": 0 }, ...]` |
 * | `.csv` | one row per item, no header | columns `id`/`identity`/`pid` and `cam`/`camera`/`camid` (header), or 2 columns / 1 column without header |
 *
 * A `.npy` header is checked before anything is allocated ({@link checkNpyHeader}): the magic and version,
 * a shape of non-negative integers whose product is at most {@link MAX_ELEMENTS}, and a data length equal to
 * what the shape and dtype declare; a hostile header is an {@link InvalidFile}, never a huge allocation.
 * @since 0.1.0
 */
import { dump, parse } from "npyjs"
import { InvalidFile } from "./errors.ts"
import { countNonFinite, type FeatureMatrix } from "./Features.ts"

/** The extension of a path, lower case, without the dot. */
const extension = (path: string): string => {
  const dot = path.lastIndexOf(".")
  return dot < 0 ? "" : path.slice(dot + 1).toLowerCase()
}

interface NumericArray {
  readonly data: ArrayLike<number>
  readonly shape: ReadonlyArray<number>
}

/** Most values one feature or label array may hold (2^31 - 1). */
export const MAX_ELEMENTS = 2 ** 31 - 1

/**
 * Validates a `.npy` header (format 1.0, 2.0 or 3.0 of numpy's `lib/format.py`) against the file length: the
 * shape must be a tuple of non-negative integers, its product at most {@link MAX_ELEMENTS}, and the bytes after
 * the header exactly `product x itemsize`. Returns the shape. Throws an {@link InvalidFile}.
 */
export const checkNpyHeader = (bytes: Uint8Array, path: string): ReadonlyArray<number> => {
  const bad = (detail: string) => new InvalidFile({ path, detail: `not a valid .npy file (${detail})` })
  if (bytes.byteLength < 10 || bytes[0] !== 0x93 || new TextDecoder().decode(bytes.subarray(1, 6)) !== "NUMPY")
    throw bad("no \\x93NUMPY magic")
  const major = bytes[6]!
  if (major < 1 || major > 3) throw bad(`format version ${major} is not 1, 2 or 3`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lengthBytes = major === 1 ? 2 : 4
  if (bytes.byteLength < 8 + lengthBytes) throw bad("truncated header")
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const start = 8 + lengthBytes + headerLength
  if (start > bytes.byteLength)
    throw bad(`the header declares ${headerLength} bytes but the file holds ${bytes.byteLength}`)
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(8 + lengthBytes, start))
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1]
  if (shapeText === undefined) throw bad("the header has no shape")
  const parts = shapeText
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
  const shape = parts.map(Number)
  if (parts.some((x) => !/^\d+$/.test(x)) || shape.some((d) => !Number.isSafeInteger(d))) {
    throw bad(`shape (${parts.join(", ")}) is not a tuple of non-negative integers`)
  }
  const elements = shape.reduce((a, d) => a * d, 1)
  if (elements > MAX_ELEMENTS)
    throw bad(`shape (${parts.join(", ")}) holds ${elements} values, more than ${MAX_ELEMENTS}`)
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z])(\d+)'/.exec(header)
  if (descr !== null) {
    const itemsize = Number(descr[3])
    const expected = elements * itemsize
    const actual = bytes.byteLength - start
    if (expected !== actual)
      throw bad(
        `shape (${parts.join(", ")}) of ${descr[2]}${itemsize} needs ${expected} data bytes, the file holds ${actual}`
      )
  }
  return shape
}

const readNpy = (bytes: Uint8Array, path: string): NumericArray => {
  checkNpyHeader(bytes, path)
  let array: ReturnType<typeof parse>
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    array = parse(buffer)
  } catch (e) {
    throw new InvalidFile({ path, detail: `not a valid .npy file (${e instanceof Error ? e.message : String(e)})` })
  }
  const data = array.data as unknown
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return { data: Array.from(data, (x) => Number(x)), shape: array.shape }
  }
  if (!ArrayBuffer.isView(data) || array.dtype.startsWith("U") || array.dtype.startsWith("c")) {
    throw new InvalidFile({ path, detail: `unsupported .npy dtype ${array.dtype} (expected a float or integer array)` })
  }
  const values = data as unknown as ArrayLike<number>
  if (array.fortranOrder && array.shape.length === 2) {
    const [rows, cols] = array.shape as [number, number]
    const out = new Float64Array(rows * cols)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = values[j * rows + i]!
    return { data: out, shape: array.shape }
  }
  return { data: values, shape: array.shape }
}

const parseJson = (bytes: Uint8Array, path: string): unknown => {
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch (e) {
    throw new InvalidFile({ path, detail: `not valid JSON (${e instanceof Error ? e.message : String(e)})` })
  }
}

const numberRows = (value: unknown, path: string): ReadonlyArray<ReadonlyArray<number>> => {
  if (!Array.isArray(value))
    throw new InvalidFile({ path, detail: "expected an array of feature rows (arrays of numbers)" })
  value.forEach((row, i) => {
    if (!Array.isArray(row) || row.some((x) => typeof x !== "number" && x !== null)) {
      throw new InvalidFile({ path, detail: `row ${i} is not an array of numbers` })
    }
  })
  return value.map((row: Array<number | null>) => row.map((x) => (x === null ? Number.NaN : x)))
}

const csvRows = (bytes: Uint8Array): Array<Array<string>> =>
  new TextDecoder()
    .decode(bytes)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => line.split(/[,;\t]/).map((cell) => cell.trim()))

const toNumber = (cell: string, path: string, line: number): number => {
  const v = cell === "" ? Number.NaN : Number(cell)
  if (Number.isNaN(v) && cell.toLowerCase() !== "nan")
    throw new InvalidFile({ path, detail: `line ${line}: "${cell}" is not a number` })
  return v
}

/**
 * Reads a features file (`.npy`, `.json` or `.csv`) into a {@link FeatureMatrix}. Non-finite values are kept
 * (the evaluation reports them as `NonFiniteTensor`); a non-2-D array is an {@link InvalidFile}.
 * @category io
 */
export const parseFeatureFile = (bytes: Uint8Array, path: string): FeatureMatrix => {
  const ext = extension(path)
  if (ext === "npy") {
    const { data, shape } = readNpy(bytes, path)
    if (shape.length !== 2)
      throw new InvalidFile({ path, detail: `expected a 2-D [n, dim] array, got shape [${shape.join(", ")}]` })
    return { data: data instanceof Float32Array ? data : Float32Array.from(data), rows: shape[0]!, dim: shape[1]! }
  }
  let rows: ReadonlyArray<ReadonlyArray<number>>
  if (ext === "json") {
    const value = parseJson(bytes, path)
    rows = numberRows(
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? (value as { features?: unknown }).features
        : value,
      path
    )
  } else if (ext === "csv") {
    rows = csvRows(bytes).map((cells, i) => cells.map((c) => toNumber(c, path, i + 1)))
  } else {
    throw new InvalidFile({ path, detail: `unknown features file type ".${ext}" (use .npy, .json or .csv)` })
  }
  const dim = rows.length === 0 ? 0 : rows[0]!.length
  const data = new Float32Array(rows.length * dim)
  rows.forEach((row, i) => {
    if (row.length !== dim)
      throw new InvalidFile({ path, detail: `row ${i} has ${row.length} values, row 0 has ${dim}` })
    data.set(row, i * dim)
  })
  return { data, rows: rows.length, dim }
}

/** Labels read from a file: both columns, or a single column (`values`). */
export type LabelColumns =
  | { readonly _tag: "Both"; readonly ids: ReadonlyArray<number>; readonly cams: ReadonlyArray<number> }
  | { readonly _tag: "Single"; readonly values: ReadonlyArray<number> }

const integers = (values: ArrayLike<number>, path: string, what: string): Array<number> => {
  const out = Array.from(values)
  out.forEach((v, i) => {
    if (!Number.isInteger(v)) throw new InvalidFile({ path, detail: `${what} entry ${i} is ${v}, expected an integer` })
  })
  return out
}

/**
 * Reads identities and/or cameras from a `.npy`, `.csv` or `.json` file (see the module table).
 * @category io
 */
export const parseLabelFile = (bytes: Uint8Array, path: string): LabelColumns => {
  const ext = extension(path)
  if (ext === "npy") {
    const { data, shape } = readNpy(bytes, path)
    if (shape.length === 1) return { _tag: "Single", values: integers(data, path, "label") }
    if (shape.length === 2 && shape[1] === 2) {
      const n = shape[0]!
      const all = integers(data, path, "label")
      return {
        _tag: "Both",
        ids: all.filter((_, k) => k % 2 === 0).slice(0, n),
        cams: all.filter((_, k) => k % 2 === 1)
      }
    }
    throw new InvalidFile({
      path,
      detail: `expected a 1-D [n] or 2-D [n, 2] (identity, camera) array, got shape [${shape.join(", ")}]`
    })
  }
  if (ext === "json") {
    const value = parseJson(bytes, path)
    if (Array.isArray(value)) {
      if (value.every((x) => typeof x === "number")) return { _tag: "Single", values: integers(value, path, "label") }
      if (value.every((x) => x !== null && typeof x === "object")) {
        const pick = (o: Record<string, unknown>, keys: ReadonlyArray<string>) =>
          keys.map((k) => o[k]).find((v) => v !== undefined)
        const ids = value.map((o) => pick(o, ["id", "identity", "pid"]))
        const cams = value.map((o) => pick(o, ["cam", "camera", "camid"]))
        if (ids.some((x) => typeof x !== "number") || cams.some((x) => typeof x !== "number")) {
          throw new InvalidFile({ path, detail: 'expected objects with numeric "id" and "cam" fields' })
        }
        return {
          _tag: "Both",
          ids: integers(ids as Array<number>, path, "id"),
          cams: integers(cams as Array<number>, path, "cam")
        }
      }
    } else if (value !== null && typeof value === "object") {
      const o = value as Record<string, unknown>
      const ids = o["ids"] ?? o["identities"]
      const cams = o["cams"] ?? o["cameras"]
      if (Array.isArray(ids) && Array.isArray(cams)) {
        return { _tag: "Both", ids: integers(ids, path, "ids"), cams: integers(cams, path, "cams") }
      }
    }
    throw new InvalidFile({
      path,
      detail: 'expected [ids...], { "ids": [...], "cams": [...] } or [{ "id": ..., "cam": ... }, ...]'
    })
  }
  if (ext === "csv") {
    const rows = csvRows(bytes)
    if (rows.length === 0) return { _tag: "Single", values: [] }
    const header = rows[0]!.map((c) => c.toLowerCase())
    const hasHeader = header.some((c) => c !== "" && Number.isNaN(Number(c)))
    const body = hasHeader ? rows.slice(1) : rows
    const lineOffset = hasHeader ? 2 : 1
    const column = (k: number, what: string) =>
      integers(
        body.map((r, i) => toNumber(r[k] ?? "", path, i + lineOffset)),
        path,
        what
      )
    if (hasHeader) {
      const idCol = header.findIndex((c) => ["id", "ids", "identity", "pid", "person_id"].includes(c))
      const camCol = header.findIndex((c) => ["cam", "cams", "camera", "camid", "camera_id"].includes(c))
      if (idCol >= 0 && camCol >= 0) return { _tag: "Both", ids: column(idCol, "id"), cams: column(camCol, "cam") }
      if (header.length === 1) return { _tag: "Single", values: column(0, header[0]!) }
      throw new InvalidFile({ path, detail: `header "${rows[0]!.join(",")}" has no "id" and "cam" columns` })
    }
    const width = body[0]!.length
    if (width === 1) return { _tag: "Single", values: column(0, "label") }
    if (width === 2) return { _tag: "Both", ids: column(0, "id"), cams: column(1, "cam") }
    throw new InvalidFile({ path, detail: `expected 1 or 2 columns without a header, got ${width}` })
  }
  throw new InvalidFile({ path, detail: `unknown labels file type ".${ext}" (use .npy, .csv or .json)` })
}

/** Counts non-finite values of a feature matrix read from a file (for messages). */
export const nonFiniteCount = (m: FeatureMatrix): number => countNonFinite(m.data)

/** Encodes a float32 or int32 array as `.npy` bytes (for exporting features, and for tests). @category io */
export const encodeNpy = (data: Float32Array | Int32Array, shape: ReadonlyArray<number>): Uint8Array =>
  new Uint8Array(dump(data, [...shape]))

/** Stripe (local) features `[n, stripes, dim]` (AlignedReID's local branch, PCB parts), row-major. */
export interface StripeFeatures {
  readonly data: Float32Array
  readonly rows: number
  readonly stripes: number
  readonly dim: number
}

/**
 * Reads stripe features from a 3-D `.npy` `[n, stripes, dim]` (or a 2-D `[n, stripes * dim]` file of any supported
 * type with `stripes` given). An {@link InvalidFile} otherwise.
 * @category io
 */
export const parseStripeFile = (bytes: Uint8Array, path: string, stripes?: number): StripeFeatures => {
  if (extension(path) === "npy") {
    const { data, shape } = readNpy(bytes, path)
    if (shape.length === 3)
      return {
        data: data instanceof Float32Array ? data : Float32Array.from(data),
        rows: shape[0]!,
        stripes: shape[1]!,
        dim: shape[2]!
      }
  }
  const m = parseFeatureFile(bytes, path)
  if (stripes === undefined || stripes < 1 || m.dim % stripes !== 0) {
    throw new InvalidFile({
      path,
      detail: `expected a 3-D [n, stripes, dim] .npy, or ${m.dim}-wide rows with a number of stripes that divides ${m.dim}`
    })
  }
  return { data: m.data, rows: m.rows, stripes, dim: m.dim / stripes }
}
