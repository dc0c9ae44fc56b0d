/**
 * numpy `.npz` archives (`np.savez` / `np.savez_compressed`): a ZIP file (PKWARE APPNOTE) of `<name>.npy` entries.
 *
 * The central directory is read from the end-of-central-directory record (and its ZIP64 form, which numpy's
 * `force_zip64` writing may produce); entries are stored (method 0) or deflated (method 8, inflated with
 * `node:zlib`), and their CRC-32 is checked when read. Opening reads only the directory and each entry's `.npy`
 * header (for a deflated entry, the first inflated bytes), so `inspect` never decompresses a whole archive.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as zlib from "node:zlib"
import { Effect, type Scope } from "effect"
import { WeightsIOError } from "../errors.ts"
import { readExactly } from "./ReadExactly.ts"
import * as Npy from "./Npy.ts"
import { entryOf, type TensorEntry, type TensorFile } from "./TensorFile.ts"

/** One member of a ZIP archive, from its central directory record. @category models */
export interface ZipMember {
  readonly name: string
  readonly method: number
  readonly flags: number
  readonly crc32: number
  readonly compressedSize: number
  readonly size: number
  readonly localHeaderOffset: number
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

const u64 = (view: DataView, at: number): number => Number(view.getBigUint64(at, true))

/** Reads the central directory of a ZIP file of `size` bytes. Throws an Error describing a malformed archive. */
export const readCentralDirectory = async (handle: fs.FileHandle, size: number): Promise<ReadonlyArray<ZipMember>> => {
  const tailLength = Math.min(size, 22 + 65535 + 20)
  const tail = await readExactly(handle, tailLength, size - tailLength)
  const tv = new DataView(tail.buffer)
  let at = -1
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      at = i
      break
    }
  }
  if (at < 0) throw new Error("not a ZIP archive (no end-of-central-directory record)")
  let count = tv.getUint16(at + 10, true)
  let cdSize = tv.getUint32(at + 12, true)
  let cdOffset = tv.getUint32(at + 16, true)
  if (
    (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) &&
    at >= 20 &&
    tv.getUint32(at - 20, true) === ZIP64_LOCATOR
  ) {
    const recordOffset = u64(tv, at - 20 + 8)
    const record = new DataView((await readExactly(handle, 56, recordOffset)).buffer)
    if (record.getUint32(0, true) !== ZIP64_EOCD) throw new Error("bad ZIP64 end-of-central-directory record")
    count = u64(record, 32)
    cdSize = u64(record, 40)
    cdOffset = u64(record, 48)
  }
  if (cdOffset + cdSize > size)
    throw new Error(`the central directory (${cdSize} bytes at ${cdOffset}) is past the end of the file: truncated?`)
  const cd = await readExactly(handle, cdSize, cdOffset)
  const view = new DataView(cd.buffer)
  const members: Array<ZipMember> = []
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== CENTRAL) throw new Error(`bad central directory record ${i}`)
    const flags = view.getUint16(p + 8, true)
    const method = view.getUint16(p + 10, true)
    const crc32 = view.getUint32(p + 16, true)
    let compressedSize = view.getUint32(p + 20, true)
    let uncompressed = view.getUint32(p + 24, true)
    const nameLength = view.getUint16(p + 28, true)
    const extraLength = view.getUint16(p + 30, true)
    const commentLength = view.getUint16(p + 32, true)
    let localHeaderOffset = view.getUint32(p + 42, true)
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength))
    // ZIP64 extended information (header id 1): the 8-byte values of the fields saturated at 0xffffffff, in order
    let e = p + 46 + nameLength
    const extraEnd = e + extraLength
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true)
      const len = view.getUint16(e + 2, true)
      if (id === 1) {
        let q = e + 4
        if (uncompressed === 0xffffffff) {
          uncompressed = u64(view, q)
          q += 8
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(view, q)
          q += 8
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(view, q)
      }
      e += 4 + len
    }
    members.push({ name, method, flags, crc32, compressedSize, size: uncompressed, localHeaderOffset })
    p = extraEnd + commentLength
  }
  return members
}

/** Offset of a member's data: after its local header (whose name and extra lengths may differ from the directory's). */
const dataOffset = async (handle: fs.FileHandle, member: ZipMember): Promise<number> => {
  const local = new DataView((await readExactly(handle, 30, member.localHeaderOffset)).buffer)
  if (local.getUint32(0, true) !== LOCAL) throw new Error(`bad local header of "${member.name}"`)
  return member.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true)
}

const checkMember = (member: ZipMember): string | undefined => {
  if ((member.flags & 1) !== 0) return `"${member.name}" is encrypted`
  if (member.method !== 0 && member.method !== 8)
    return `"${member.name}" uses ZIP compression method ${member.method} (only stored and deflate are supported)`
  return undefined
}

/** The whole uncompressed bytes of a member, CRC-checked. */
const memberBytes = async (handle: fs.FileHandle, member: ZipMember): Promise<Uint8Array> => {
  const raw = await readExactly(handle, member.compressedSize, await dataOffset(handle, member))
  const bytes = member.method === 0 ? raw : new Uint8Array(zlib.inflateRawSync(raw))
  if (bytes.length !== member.size)
    throw new Error(`"${member.name}" inflates to ${bytes.length} bytes, the directory says ${member.size}`)
  if (zlib.crc32(bytes) >>> 0 !== member.crc32 >>> 0)
    throw new Error(`"${member.name}" fails its CRC-32 check: corrupt archive`)
  return bytes
}

/** The first bytes of a member (enough for a `.npy` header), without decompressing it all. */
const memberPrefix = async (handle: fs.FileHandle, member: ZipMember, want: number): Promise<Uint8Array> => {
  const offset = await dataOffset(handle, member)
  if (member.method === 0) return readExactly(handle, Math.min(want, member.compressedSize), offset)
  const chunk = await readExactly(handle, Math.min(member.compressedSize, want + 1024), offset)
  return new Uint8Array(zlib.inflateRawSync(chunk, { finishFlush: zlib.constants.Z_SYNC_FLUSH })).subarray(0, want)
}

/**
 * Opens an `.npz` archive: reads its directory and every entry's `.npy` header; the file stays open until the
 * Scope closes. Tensor names are the member names without `.npy`.
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
    const { entries, members } = yield* Effect.tryPromise({
      try: async () => {
        const size = (await handle.stat()).size
        const members = new Map<string, ZipMember>()
        const entries: Array<TensorEntry> = []
        for (const m of await readCentralDirectory(handle, size)) {
          if (m.name.endsWith("/")) continue
          if (!m.name.endsWith(".npy"))
            throw new Error(`"${m.name}" is not a .npy member: not an npz archive of arrays`)
          const problem = checkMember(m)
          if (problem !== undefined) throw new Error(problem)
          let want = 4096
          let header = Npy.parseHeader(await memberPrefix(handle, m, want))
          while (header === "short" && want < m.size) {
            want *= 16
            header = Npy.parseHeader(await memberPrefix(handle, m, want))
          }
          if (typeof header === "string")
            throw new Error(`"${m.name}": ${header === "short" ? "truncated .npy header" : header}`)
          const name = m.name.slice(0, -4)
          members.set(name, m)
          entries.push({ name, dtype: header.dtype, shape: header.shape })
        }
        return { entries, members }
      },
      catch: (cause) => fail(`invalid npz archive: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    })
    const tensorFile: TensorFile = {
      path: file,
      format: "npz",
      entries,
      metadata: {},
      read: (name) =>
        Effect.flatMap(entryOf(tensorFile, name), () =>
          Effect.tryPromise({
            try: async () => {
              const decoded = Npy.decode(await memberBytes(handle, members.get(name)!))
              if (typeof decoded === "string") throw new Error(decoded)
              return decoded.data
            },
            catch: (cause) =>
              fail(`cannot read "${name}": ${cause instanceof Error ? cause.message : String(cause)}`, cause)
          })
        )
    }
    return tensorFile
  })
