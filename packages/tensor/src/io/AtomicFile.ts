/**
 * Durable, atomic writes: the one way reidfx writes a file or a folder that a user keeps (checkpoints, weights,
 * results, configs, reports).
 *
 * A file is written to a temporary sibling `<name>.tmp-<pid>-<hex>`, every byte counted (a write that stores
 * fewer bytes than asked is continued; one that stores none, or fails with ENOSPC, aborts), fsynced, closed,
 * renamed over `<name>`, and the folder is fsynced so the rename itself survives a power loss (the recipe of
 * "Files are hard", Dan Luu 2015, and of `renameio` / `write-file-atomic`). A crash at any point leaves either
 * the previous file or the new one; a failed write removes its temporary file and leaves the previous file
 * untouched. Folders (a tfjs weights folder) are filled under a temporary name and swapped in by two renames.
 *
 * Temporaries left by a killed process are removed by {@link removeStale} (a run removes them at start): a
 * name is stale when it matches the temporary pattern and the process id it carries is not alive.
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { describeCause, WriteFailed } from "./errors.ts"

const CHUNK = 1 << 20

/** An injected write fault (tests only): after `afterBytes` bytes in total, writes fail with `code`. */
export interface Fault {
  readonly afterBytes: number
  readonly code: string
}

let fault: { afterBytes: number; readonly code: string } | undefined

let writes = 0

/**
 * Test hooks. `injectFault` makes every later write fail with an errno `code` (e.g. `ENOSPC`) once `afterBytes`
 * bytes have been written in total (the bytes before the limit really are written, as on a full disk);
 * `undefined` removes it. `writes()` counts the files this process has written. The environment variable
 * `REIDFX_TEST_PAUSE_WRITE=<n>` makes the n-th file write of the process stop half-way through its temporary
 * file, print `reidfx-test: writing <path>` on stderr and wait (a minute), so a test can kill the process
 * inside a write.
 */
export const testing = {
  /** Makes later writes fail as described by `f` (`undefined`: no fault). */
  injectFault: (f: Fault | undefined): void => {
    fault = f === undefined ? undefined : { ...f }
  },
  /** The number of writes started in this process. */
  writes: (): number => writes
}

const errno = (code: string, syscall: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected fault, ${syscall}`), { code, syscall })

/** The name of a temporary sibling of `target` owned by this process. */
export const tempName = (target: string, kind: "tmp" | "old" = "tmp"): string =>
  `${target}.${kind}-${process.pid}-${randomBytes(4).toString("hex")}`

/** Writes `bytes[from, to)` through `handle`, continuing short writes; a write that stores nothing throws. */
const writeRange = async (handle: fs.FileHandle, bytes: Uint8Array, from: number, to: number): Promise<void> => {
  let offset = from
  while (offset < to) {
    let length = Math.min(CHUNK, to - offset)
    if (fault !== undefined) {
      if (fault.afterBytes <= 0) throw errno(fault.code, "write")
      length = Math.min(length, fault.afterBytes)
    }
    const { bytesWritten } = await handle.write(bytes, offset, length, null)
    if (fault !== undefined) fault.afterBytes -= bytesWritten
    if (bytesWritten <= 0) throw Object.assign(new Error(`short write: 0 of ${length} bytes stored`), { code: "EIO" })
    offset += bytesWritten
  }
}

/** Writes every byte (pausing half-way under the test hook). */
const writeAll = async (handle: fs.FileHandle, bytes: Uint8Array, file: string): Promise<void> => {
  writes++
  if (writes !== Number(process.env.REIDFX_TEST_PAUSE_WRITE ?? 0)) return writeRange(handle, bytes, 0, bytes.byteLength)
  const half = Math.floor(bytes.byteLength / 2)
  await writeRange(handle, bytes, 0, half)
  await handle.sync()
  process.stderr.write(`reidfx-test: writing ${file}\n`)
  await new Promise((resolve) => setTimeout(resolve, 60_000))
  await writeRange(handle, bytes, half, bytes.byteLength)
}

/** fsyncs a folder (some file systems refuse; a rename is still atomic there). */
export const fsyncDir = async (dir: string): Promise<void> => {
  const handle = await fs.open(dir, "r")
  try {
    await handle.sync()
  } catch {
    // EINVAL / EISDIR on file systems without directory fsync
  } finally {
    await handle.close()
  }
}

/** Writes one file durably to `file` (no rename): every byte checked, then fsynced. */
export const writeSyncedPromise = async (file: string, data: string | Uint8Array): Promise<void> => {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data
  const handle = await fs.open(file, "w")
  try {
    await writeAll(handle, bytes, file)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Atomically replaces `file` with `data` (Promise form, for code already inside a `tryPromise`): temporary
 * file, every byte checked, fsync, rename, fsync of the folder. On failure the temporary file is removed and
 * the error rethrown; the previous `file` is untouched.
 */
export const writeFilePromise = async (file: string, data: string | Uint8Array): Promise<void> => {
  const target = path.resolve(file)
  const dir = path.dirname(target)
  await fs.mkdir(dir, { recursive: true })
  const tmp = tempName(target)
  try {
    await writeSyncedPromise(tmp, data)
    await fs.rename(tmp, target)
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw e
  }
  await fsyncDir(dir)
}

/** Atomically replaces `file` with `data` (see {@link writeFilePromise}); a failure is a {@link WriteFailed}. */
export const writeFile = (file: string, data: string | Uint8Array): Effect.Effect<void, WriteFailed> =>
  Effect.tryPromise({
    try: () => writeFilePromise(file, data),
    catch: (cause) => new WriteFailed({ path: file, reason: describeCause(cause), cause })
  })

/** Swaps the filled temporary folder `tmp` in as `target` (old one renamed aside, parent fsynced, old removed). */
const swapInPromise = async (tmp: string, target: string): Promise<void> => {
  await fsyncDir(tmp)
  let old: string | undefined
  try {
    if (
      await fs.stat(target).then(
        () => true,
        () => false
      )
    ) {
      old = tempName(target, "old")
      await fs.rename(target, old)
    }
    await fs.rename(tmp, target)
  } catch (e) {
    if (old !== undefined) await fs.rename(old, target).catch(() => undefined)
    throw e
  }
  await fsyncDir(path.dirname(target))
  if (old !== undefined) await fs.rm(old, { recursive: true, force: true })
}

/** Creates a fresh temporary folder for `target` (after restoring an interrupted swap). */
const makeTempDir = async (target: string): Promise<string> => {
  await fs.mkdir(path.dirname(target), { recursive: true })
  await recoverDirPromise(target)
  const tmp = tempName(target)
  await fs.mkdir(tmp)
  return tmp
}

/**
 * Atomically replaces the folder `dir` (Promise form): `fill` writes into a fresh temporary folder (use
 * {@link writeSyncedPromise} for its files), which is fsynced, then swapped in: the old folder is renamed
 * aside, the new one renamed to `dir`, the parent fsynced, and only then the old one removed. A crash between
 * the two renames leaves the old folder under `<dir>.old-<pid>-<hex>`; {@link recoverDirPromise} puts it back.
 */
export const writeDirPromise = async (dir: string, fill: (tmp: string) => Promise<void>): Promise<void> => {
  const target = path.resolve(dir)
  const tmp = await makeTempDir(target)
  try {
    await fill(tmp)
    await swapInPromise(tmp, target)
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw e
  }
}

/** Atomically replaces a folder (see {@link writeDirPromise}); `fill` is an Effect writing into the temporary folder. */
export const writeDir = <E, R>(
  dir: string,
  fill: (tmp: string) => Effect.Effect<void, E, R>
): Effect.Effect<void, E | WriteFailed, R> => {
  const target = path.resolve(dir)
  const failed = (cause: unknown) => new WriteFailed({ path: dir, reason: describeCause(cause), cause })
  return Effect.acquireUseRelease(
    Effect.tryPromise({ try: () => makeTempDir(target), catch: failed }),
    (tmp) => Effect.andThen(fill(tmp), Effect.tryPromise({ try: () => swapInPromise(tmp, target), catch: failed })),
    (tmp) => Effect.promise(() => fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined))
  )
}

const TEMP = /^(.*)\.(tmp|old)-(\d+)(?:-[0-9a-f]+|)$/
/** Temporary files of earlier versions of reidfx (RunStore): `<name>.tmp-<8 hex>`, no process id. */
const LEGACY = /^(.*)\.(tmp)-[0-9a-f]{8}$/

const alive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A temporary name's parts, if `name` is one: the target it was for, its kind and its process (if known). */
export const parseTempName = (
  name: string
): { readonly target: string; readonly kind: "tmp" | "old"; readonly pid: number | undefined } | undefined => {
  const legacy = LEGACY.exec(name)
  if (legacy !== null) return { target: legacy[1]!, kind: legacy[2] as "tmp" | "old", pid: undefined }
  const m = TEMP.exec(name)
  return m === null ? undefined : { target: m[1]!, kind: m[2] as "tmp" | "old", pid: Number(m[3]) }
}

/**
 * If the folder `dir` is missing but an `<dir>.old-*` of a dead process exists (a crash between the two
 * renames of {@link writeDirPromise}), renames it back. Returns whether it did.
 */
export const recoverDirPromise = async (dir: string): Promise<boolean> => {
  const target = path.resolve(dir)
  if (
    await fs.stat(target).then(
      () => true,
      () => false
    )
  )
    return false
  const parent = path.dirname(target)
  const base = path.basename(target)
  const names = await fs.readdir(parent).catch(() => [] as Array<string>)
  for (const name of names) {
    const t = parseTempName(name)
    if (t !== undefined && t.kind === "old" && t.target === base && (t.pid === undefined || !alive(t.pid))) {
      await fs.rename(path.join(parent, name), target)
      return true
    }
  }
  return false
}

/**
 * Removes temporary files and folders left under `root` by killed writers (down to `depth` levels of
 * sub-folders), after restoring any folder whose swap was interrupted. Only names of the temporary pattern
 * whose process is dead are touched. Returns the removed paths.
 */
export const removeStalePromise = async (root: string, depth = 4): Promise<ReadonlyArray<string>> => {
  const removed: Array<string> = []
  const visit = async (dir: string, level: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const t = parseTempName(entry.name)
      if (t !== undefined && (t.pid === undefined || !alive(t.pid))) {
        const full = path.join(dir, entry.name)
        if (
          t.kind === "old" &&
          !(await fs.stat(path.join(dir, t.target)).then(
            () => true,
            () => false
          ))
        ) {
          await fs.rename(full, path.join(dir, t.target))
          continue
        }
        await fs.rm(full, { recursive: true, force: true })
        removed.push(full)
      } else if (entry.isDirectory() && !entry.isSymbolicLink() && level < depth) {
        await visit(path.join(dir, entry.name), level + 1)
      }
    }
  }
  await visit(path.resolve(root), 0)
  return removed
}

/** Effect form of {@link removeStalePromise}. */
export const removeStale = (root: string, depth = 4): Effect.Effect<ReadonlyArray<string>, WriteFailed> =>
  Effect.tryPromise({
    try: () => removeStalePromise(root, depth),
    catch: (cause) =>
      new WriteFailed({ path: root, reason: `cannot clean temporary files: ${describeCause(cause)}`, cause })
  })
