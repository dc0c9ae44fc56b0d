/**
 * The safetensors format (Hugging Face, https://github.com/huggingface/safetensors, "Format" in its README):
 *
 *     8 bytes      N, the header size, unsigned little-endian 64-bit
 *     N bytes      a UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }
 *     rest         the byte buffer; a tensor's bytes are buffer[begin, end), row-major, little-endian
 *
 * {@link open} reads the header only and checks every entry against the file before any data is read: a known
 * dtype, a shape of non-negative integers, `end - begin` equal to the element count times the element size,
 * offsets inside the buffer, no two tensors overlapping. Tensor data is then read on demand from the open file.
 * {@link write} writes float32 tensors (header padded with spaces to a multiple of 8 bytes, as the reference
 * writer does), atomically (temporary file, fsync, rename).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, type Scope } from "effect"
import { WeightsIOError } from "../errors.ts"
import { readExactly } from "./ReadExactly.ts"
import {
  bytesPerElement,
  decodeToFloat32,
  elementCount,
  entryOf,
  isTensorDtype,
  type TensorEntry,
  type TensorFile
} from "./TensorFile.ts"

/** The largest header reidfx accepts (the reference implementation's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000

/** A safetensors entry with its byte range in the buffer. @category models */
export interface SafetensorsEntry extends TensorEntry {
  readonly begin: number
  readonly end: number
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/**
 * Parses and checks a safetensors header (the JSON text) against the size of the byte buffer that follows it.
 * Returns the entries in buffer order, or a description of the first problem.
 * @category parsing
 */
export const parseHeader = (
  text: string,
  bufferBytes: number
):
  | { readonly entries: ReadonlyArray<SafetensorsEntry>; readonly metadata: Readonly<Record<string, string>> }
  | string => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return `the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "the header is not a JSON object"
  const entries: Array<SafetensorsEntry> = []
  let metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Object.values(value).some((v) => typeof v !== "string")) {
        return "__metadata__ must be an object of strings"
      }
      metadata = value as Record<string, string>
      continue
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    if (typeof v !== "object" || v === null) return `tensor "${name}": not an object`
    if (typeof v.dtype !== "string" || !isTensorDtype(v.dtype))
      return `tensor "${name}": unsupported dtype ${JSON.stringify(v.dtype)}`
    if (!Array.isArray(v.shape) || !v.shape.every(isIndex))
      return `tensor "${name}": shape must be an array of non-negative integers`
    if (!Array.isArray(v.data_offsets) || v.data_offsets.length !== 2 || !v.data_offsets.every(isIndex)) {
      return `tensor "${name}": data_offsets must be two non-negative integers`
    }
    const [begin, end] = v.data_offsets as [number, number]
    const shape = v.shape as Array<number>
    const expected = elementCount(shape) * bytesPerElement[v.dtype]
    if (end < begin || end - begin !== expected) {
      return `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, its ${v.dtype} shape [${shape.join(", ")}] needs ${expected}`
    }
    if (end > bufferBytes)
      return `tensor "${name}": data_offsets end ${end} is past the end of the data (${bufferBytes} bytes): truncated file?`
    entries.push({ name, dtype: v.dtype, shape, begin, end })
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end)
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1]!
    const current = entries[i]!
    if (current.begin < previous.end) {
      return `tensors "${previous.name}" and "${current.name}" overlap in the data buffer`
    }
  }
  return { entries, metadata }
}

/**
 * Opens a `.safetensors` file: reads and checks its header; the file stays open (for lazy tensor reads) until the
 * Scope closes.
 * @category constructors
 */
export const open = (file: string): Effect.Effect<TensorFile, WeightsIOError, Scope.Scope> =>
  Effect.gen(function* () {
    const fail = (detail: string, cause?: unknown) => new WeightsIOError({ path: file, detail, cause })
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => fs.open(file, "r"),
        catch: (cause) => fail(`cannot open: ${String(cause)}`, cause)
      }),
      (h) => Effect.promise(() => h.close())
    )
    const size = yield* Effect.tryPromise({
      try: () => handle.stat().then((s) => s.size),
      catch: (cause) => fail(String(cause), cause)
    })
    if (size < 8)
      return yield* Effect.fail(fail(`not a safetensors file: ${size} bytes, shorter than the 8-byte header size`))
    const prefix = yield* Effect.tryPromise({
      try: () => readExactly(handle, 8, 0),
      catch: (cause) => fail(String(cause), cause)
    })
    const headerBytes = new DataView(prefix.buffer).getBigUint64(0, true)
    if (headerBytes > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
      return yield* Effect.fail(
        fail(`not a safetensors file: header size ${headerBytes} exceeds the file (${size} bytes) or 100 MB`)
      )
    }
    const n = Number(headerBytes)
    const text = new TextDecoder("utf-8", { fatal: false }).decode(
      yield* Effect.tryPromise({ try: () => readExactly(handle, n, 8), catch: (cause) => fail(String(cause), cause) })
    )
    const parsed = parseHeader(text, size - 8 - n)
    if (typeof parsed === "string") return yield* Effect.fail(fail(`invalid safetensors header: ${parsed}`))
    const byName = new Map(parsed.entries.map((e) => [e.name, e] as const))
    const tensorFile: TensorFile = {
      path: file,
      format: "safetensors",
      entries: parsed.entries,
      metadata: parsed.metadata,
      read: (name) =>
        Effect.flatMap(entryOf(tensorFile, name), () => {
          const e = byName.get(name)!
          return Effect.tryPromise({
            try: () => readExactly(handle, e.end - e.begin, 8 + n + e.begin),
            catch: (cause) => fail(`cannot read tensor "${name}": ${String(cause)}`, cause)
          }).pipe(Effect.map((bytes) => decodeToFloat32(bytes, e.dtype, elementCount(e.shape))))
        })
    }
    return tensorFile
  })

/** A float32 tensor to write. @category models */
export interface Float32Tensor {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
}

/**
 * Encodes float32 tensors as safetensors bytes (in the given order; `metadata` goes to `__metadata__`).
 * @category encoding
 */
export const encode = (
  tensors: ReadonlyArray<Float32Tensor>,
  metadata: Readonly<Record<string, string>> = {}
): Uint8Array => {
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata
  let offset = 0
  for (const t of tensors) {
    if (t.data.length !== elementCount(t.shape))
      throw new Error(`safetensors: "${t.name}" has ${t.data.length} values for shape [${t.shape.join(", ")}]`)
    if (Object.hasOwn(header, t.name)) throw new Error(`safetensors: "${t.name}" given twice`)
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] }
    offset += t.data.length * 4
  }
  let text = JSON.stringify(header)
  const raw = new TextEncoder().encode(text).length
  text += " ".repeat((8 - (raw % 8)) % 8)
  const headerBytes = new TextEncoder().encode(text)
  const out = new Uint8Array(8 + headerBytes.length + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerBytes.length), true)
  out.set(headerBytes, 8)
  let at = 8 + headerBytes.length
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + i * 4, t.data[i]!, true)
    at += t.data.length * 4
  }
  return out
}

/** Writes float32 tensors to a `.safetensors` file, atomically (a temporary file, fsync, rename). @category io */
export const write = (
  file: string,
  tensors: ReadonlyArray<Float32Tensor>,
  metadata: Readonly<Record<string, string>> = {}
): Effect.Effect<void, WeightsIOError> =>
  Effect.tryPromise({
    try: async () => {
      const bytes = encode(tensors, metadata)
      await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true })
      const tmp = `${path.resolve(file)}.tmp-${process.pid}-${Date.now()}`
      const handle = await fs.open(tmp, "w")
      try {
        await handle.writeFile(bytes)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await fs.rename(tmp, file)
    },
    catch: (cause) => new WeightsIOError({ path: file, detail: `cannot write: ${String(cause)}`, cause })
  })
