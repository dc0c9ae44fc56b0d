/**
 * TensorBoard event files (`events.out.tfevents.<seconds>.<host>`), written without TensorFlow: a small
 * documented encoder of the two parts of the format, and the matching reader (used by the tests and by anyone
 * who wants the scalars back).
 *
 * 1. **Records** (TFRecord framing, `tensorflow/core/lib/io/record_writer.cc`): each record is
 *    `uint64 length | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)`, little endian,
 *    with CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) masked as
 *    `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2^32; `tensorflow/core/lib/hash/crc32c.h`, `Mask`).
 * 2. **Events** (protocol buffers, `tensorflow/core/util/event.proto` and `framework/summary.proto`):
 *    `Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5 }`,
 *    `Summary { repeated Value value = 1 }`, `Value { string tag = 1; float simple_value = 2 }`. The first
 *    event of a file carries `file_version = "brain.Event:2"`; each scalar is one event with one value
 *    (TensorBoard's scalars dashboard reads `simple_value` directly).
 * @since 0.1.0
 */
import { Data } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Tracker as Trackers } from "@reidfx/tensor"

const { scalarName } = Trackers
type Tracker = Trackers.Tracker

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32C (Castagnoli) of `bytes`, as an unsigned 32-bit integer (RFC 3720, appendix B.4 test vectors). */
export const crc32c = (bytes: Uint8Array): number => {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** TensorFlow's masked CRC-32C: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` mod 2^32. */
export const maskedCrc32c = (bytes: Uint8Array): number => {
  const crc = crc32c(bytes)
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** One record: length, masked CRC of the length, the data, masked CRC of the data. */
export const encodeRecord = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + 4 + data.length + 4)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(data.length), true)
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true)
  out.set(data, 12)
  view.setUint32(12 + data.length, maskedCrc32c(data), true)
  return out
}

// --- protocol buffers (only the wire types the Event messages use) -------------------------------------------

const varint = (value: bigint): Array<number> => {
  const bytes: Array<number> = []
  let v = BigInt.asUintN(64, value)
  do {
    const b = Number(v & 0x7fn)
    v >>= 7n
    bytes.push(v > 0n ? b | 0x80 : b)
  } while (v > 0n)
  return bytes
}
const key = (field: number, wire: number) => varint(BigInt((field << 3) | wire))
const lengthDelimited = (field: number, payload: Uint8Array): Array<number> => [
  ...key(field, 2),
  ...varint(BigInt(payload.length)),
  ...payload
]
const utf8 = (text: string) => new TextEncoder().encode(text)

/** What one event holds (a scalar, or the file version of the first event). */
export interface Event {
  readonly wallTime: number
  readonly step: number
  readonly fileVersion?: string
  readonly scalars?: ReadonlyArray<{ readonly tag: string; readonly value: number }>
}

/** The protobuf bytes of an Event. */
export const encodeEvent = (event: Event): Uint8Array => {
  const bytes: Array<number> = []
  const wall = new Uint8Array(8)
  new DataView(wall.buffer).setFloat64(0, event.wallTime, true)
  bytes.push(...key(1, 1), ...wall)
  if (event.step !== 0) bytes.push(...key(2, 0), ...varint(BigInt(Math.trunc(event.step))))
  if (event.fileVersion !== undefined) bytes.push(...lengthDelimited(3, utf8(event.fileVersion)))
  if (event.scalars !== undefined) {
    const summary: Array<number> = []
    for (const s of event.scalars) {
      const f = new Uint8Array(4)
      new DataView(f.buffer).setFloat32(0, s.value, true)
      const value = [...lengthDelimited(1, utf8(s.tag)), ...key(2, 5), ...f]
      summary.push(...lengthDelimited(1, Uint8Array.from(value)))
    }
    bytes.push(...lengthDelimited(5, Uint8Array.from(summary)))
  }
  return Uint8Array.from(bytes)
}

// --- reading back -------------------------------------------------------------------------------------------

/** A malformed event file: a short record or a CRC that does not match. */
export class EventFileCorrupt extends Data.TaggedError("EventFileCorrupt")<{
  readonly offset: number
  readonly detail: string
}> {
  override get message(): string {
    return `event file corrupt at byte ${this.offset}: ${this.detail}`
  }
}

/** Splits an event file into its records' data, checking both CRCs of every record. */
export const decodeRecords = (file: Uint8Array): Array<Uint8Array> => {
  const records: Array<Uint8Array> = []
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  let at = 0
  while (at < file.length) {
    if (at + 12 > file.length) throw new EventFileCorrupt({ offset: at, detail: "truncated record header" })
    const length = Number(view.getBigUint64(at, true))
    if (view.getUint32(at + 8, true) !== maskedCrc32c(file.subarray(at, at + 8)))
      throw new EventFileCorrupt({ offset: at, detail: "length CRC mismatch" })
    if (at + 12 + length + 4 > file.length) throw new EventFileCorrupt({ offset: at, detail: "truncated record data" })
    const data = file.subarray(at + 12, at + 12 + length)
    if (view.getUint32(at + 12 + length, true) !== maskedCrc32c(data))
      throw new EventFileCorrupt({ offset: at, detail: "data CRC mismatch" })
    records.push(data)
    at += 12 + length + 4
  }
  return records
}

interface Field {
  readonly field: number
  readonly wire: number
  readonly varint?: bigint
  readonly bytes?: Uint8Array
}

const fields = (bytes: Uint8Array): Array<Field> => {
  const out: Array<Field> = []
  let at = 0
  const readVarint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const b = bytes[at++]
      if (b === undefined) throw new EventFileCorrupt({ offset: at, detail: "truncated varint" })
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
    }
  }
  while (at < bytes.length) {
    const k = Number(readVarint())
    const field = k >>> 3
    const wire = k & 7
    if (wire === 0) out.push({ field, wire, varint: readVarint() })
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4
      out.push({ field, wire, bytes: bytes.subarray(at, at + n) })
      at += n
    } else if (wire === 2) {
      const n = Number(readVarint())
      out.push({ field, wire, bytes: bytes.subarray(at, at + n) })
      at += n
    } else throw new EventFileCorrupt({ offset: at, detail: `unsupported wire type ${wire}` })
  }
  return out
}

const f64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
const f32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

/** Decodes an Event's protobuf bytes (wall time, step, file version, scalar summary values). */
export const decodeEvent = (bytes: Uint8Array): Event => {
  let wallTime = 0
  let step = 0
  let fileVersion: string | undefined
  const scalars: Array<{ tag: string; value: number }> = []
  for (const f of fields(bytes)) {
    if (f.field === 1 && f.wire === 1) wallTime = f64(f.bytes!)
    else if (f.field === 2 && f.wire === 0) step = Number(BigInt.asIntN(64, f.varint!))
    else if (f.field === 3 && f.wire === 2) fileVersion = text(f.bytes!)
    else if (f.field === 5 && f.wire === 2) {
      for (const v of fields(f.bytes!)) {
        if (v.field !== 1 || v.wire !== 2) continue
        let tag = ""
        let value = Number.NaN
        for (const x of fields(v.bytes!)) {
          if (x.field === 1 && x.wire === 2) tag = text(x.bytes!)
          else if (x.field === 2 && x.wire === 5) value = f32(x.bytes!)
        }
        scalars.push({ tag, value })
      }
    }
  }
  return {
    wallTime,
    step,
    ...(fileVersion === undefined ? {} : { fileVersion }),
    ...(scalars.length === 0 ? {} : { scalars })
  }
}

/** Reads every event of an event file (CRCs checked). */
export const readEventFile = (file: string): Array<Event> =>
  decodeRecords(new Uint8Array(fs.readFileSync(file))).map(decodeEvent)

// --- writing ------------------------------------------------------------------------------------------------

/** An open event file: scalars are appended as they come (one `write` per event, flushed at `close`). */
export interface EventWriter {
  readonly file: string
  /** Appends one scalar at a step (wall time: now, unless given in seconds since the epoch). */
  readonly scalar: (tag: string, value: number, step: number, wallTime?: number) => void
  /** Flushes the file to disk and closes it. */
  readonly close: () => void
}

/**
 * Opens a new event file in `dir` (created if missing), named as TensorFlow names them
 * (`events.out.tfevents.<unix seconds>.<hostname>`), and writes the file-version event. TensorBoard reads every
 * event file of a folder, so a resumed run adds a second file beside the first.
 */
export const openEventWriter = (dir: string, now: () => number = () => Date.now() / 1000): EventWriter => {
  fs.mkdirSync(dir, { recursive: true })
  const started = now()
  let file = path.join(dir, `events.out.tfevents.${Math.floor(started)}.${os.hostname()}`)
  for (let i = 1; fs.existsSync(file); i++)
    file = path.join(dir, `events.out.tfevents.${Math.floor(started)}.${os.hostname()}.${i}`)
  const fd = fs.openSync(file, "a")
  let open = true
  const append = (event: Event) => {
    if (open) fs.writeSync(fd, encodeRecord(encodeEvent(event)))
  }
  append({ wallTime: started, step: 0, fileVersion: "brain.Event:2" })
  return {
    file,
    scalar: (tag, value, step, wallTime) => append({ wallTime: wallTime ?? now(), step, scalars: [{ tag, value }] }),
    close: () => {
      if (!open) return
      open = false
      fs.fsyncSync(fd)
      fs.closeSync(fd)
    }
  }
}

/** The TensorBoard tracker: every scalar of every record as one event in a new event file of `dir` (`tensorboard --logdir <dir>`). */
export const tracker = (dir: string): Tracker => {
  let writer: EventWriter | undefined
  return {
    name: "tensorboard",
    log: (record) => {
      writer ??= openEventWriter(dir)
      for (const [name, value] of Object.entries(record.values))
        writer.scalar(scalarName(record, name), value, record.step, record.time)
    },
    finish: () => writer?.close()
  }
}
