/**
 * Run folders are owned: a folder reidfx writes a run into carries a marker file (`.reidfx-run`), is held by a
 * lock file (`.reidfx-lock`, holding the writer's process id) while a process writes into it, and is cleaned of
 * the temporary files a killed writer left. `--fresh` deletes only a marked folder (or an empty one); a second
 * writer is refused with a one-line error naming the process that holds the folder. A lock whose process is
 * dead (killed with SIGKILL, a power loss) is taken over.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, type Scope } from "effect"
import * as AtomicFile from "./AtomicFile.ts"
import { describeCause, RunFolderRefused } from "./errors.ts"

/** The marker file of a run folder. */
export const MARKER = ".reidfx-run"
/** The lock file of a run folder. */
export const LOCK = ".reidfx-lock"

/** Run folders this process owns, with how many nested scopes own each. */
const held = new Map<string, number>()

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false
  )

const alive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Whether `dir` is a reidfx run folder: it has the marker, or (folders written before the marker existed) one
 * of the `legacy` files that only a run writes, e.g. `protocol.json`.
 */
export const isRunFolder = async (dir: string, legacy: ReadonlyArray<string> = []): Promise<boolean> => {
  if (await exists(path.join(dir, MARKER))) return true
  for (const f of legacy) if (await exists(path.join(dir, f))) return true
  return false
}

/**
 * Deletes a run folder for `--fresh`: a missing or empty folder is fine, a run folder (see {@link isRunFolder})
 * is removed, anything else is refused and left untouched.
 */
export const removeForFresh = (
  dir: string,
  legacy: ReadonlyArray<string> = []
): Effect.Effect<void, RunFolderRefused> =>
  Effect.tryPromise({
    try: async () => {
      const stat = await fs.lstat(dir).catch(() => undefined)
      if (stat === undefined) return
      if (!stat.isDirectory())
        throw new RunFolderRefused({ path: dir, reason: "it is not a folder; --fresh deletes only run folders" })
      const entries = await fs.readdir(dir)
      if (entries.length === 0) return
      if (!(await isRunFolder(dir, legacy))) {
        throw new RunFolderRefused({
          path: dir,
          reason: `not a reidfx run folder (no ${MARKER} file; it holds ${entries.length} entr${entries.length === 1 ? "y" : "ies"}, e.g. ${entries.slice(0, 3).join(", ")}); --fresh deletes only run folders, so nothing was deleted: choose another --out`
        })
      }
      await assertNotHeld(dir)
      await fs.rm(dir, { recursive: true, force: true })
    },
    catch: (e) =>
      e instanceof RunFolderRefused
        ? e
        : new RunFolderRefused({ path: dir, reason: `cannot delete it: ${describeCause(e)}` })
  })

const holder = async (dir: string): Promise<number | undefined> => {
  const text = await fs.readFile(path.join(dir, LOCK), "utf8").catch(() => undefined)
  if (text === undefined) return undefined
  const pid = Number.parseInt(text, 10)
  return Number.isInteger(pid) && pid > 0 && alive(pid) && pid !== process.pid ? pid : undefined
}

const heldError = (dir: string, pid: number) =>
  new RunFolderRefused({
    path: dir,
    reason: `in use by process ${pid} (lock file ${path.join(dir, LOCK)}); wait for it to finish or stop it`
  })

const assertNotHeld = async (dir: string): Promise<void> => {
  const pid = await holder(dir)
  if (pid !== undefined) throw heldError(dir, pid)
}

/** Takes the lock of `dir` (created if needed), taking over a dead process's lock. */
const acquirePromise = async (dir: string): Promise<void> => {
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, LOCK)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, "wx")
      try {
        await handle.writeFile(`${process.pid}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      const pid = await holder(dir)
      if (pid !== undefined) throw heldError(dir, pid)
      // a dead process's lock (or our own): take it over
      await fs.rm(file, { force: true })
    }
  }
  throw new RunFolderRefused({ path: dir, reason: "cannot take its lock (another process keeps taking it)" })
}

const releasePromise = async (dir: string): Promise<void> => {
  const file = path.join(dir, LOCK)
  const text = await fs.readFile(file, "utf8").catch(() => undefined)
  if (text !== undefined && Number.parseInt(text, 10) === process.pid) await fs.rm(file, { force: true })
}

/**
 * Owns `dir` for the current Scope: creates it, refuses it when another live process holds its lock, takes the
 * lock, writes the marker (`kind` names what runs there, e.g. "lifelong"), and removes the temporary files a
 * killed writer left. The lock is released when the Scope closes (also on interruption).
 */
export const own = (dir: string, kind: string): Effect.Effect<ReadonlyArray<string>, RunFolderRefused, Scope.Scope> => {
  const key = path.resolve(dir)
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const count = held.get(key) ?? 0
        if (count > 0) {
          // already owned by this process (an outer scope): nested owners share the lock
          held.set(key, count + 1)
          return []
        }
        await acquirePromise(dir)
        try {
          if (!(await exists(path.join(dir, MARKER)))) {
            await AtomicFile.writeFilePromise(
              path.join(dir, MARKER),
              `${JSON.stringify({ kind, created: new Date().toISOString() })}\n`
            )
          }
          const removed = await AtomicFile.removeStalePromise(dir)
          held.set(key, 1)
          return removed
        } catch (e) {
          await releasePromise(dir)
          throw e
        }
      },
      catch: (e) =>
        e instanceof RunFolderRefused
          ? e
          : new RunFolderRefused({ path: dir, reason: `cannot use it: ${describeCause(e)}` })
    }),
    () =>
      Effect.promise(async () => {
        const count = held.get(key) ?? 0
        if (count > 1) {
          held.set(key, count - 1)
          return
        }
        held.delete(key)
        await releasePromise(dir).catch(() => undefined)
      })
  )
}
