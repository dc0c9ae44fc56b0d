/**
 * File-system helpers shared by the readers (node:fs, wrapped in Effect with typed errors).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { BoundedRead, Confine, describeCause } from "@reidfx/tensor"
import { Effect } from "effect"
import { DatasetNotFound, MalformedMetadata } from "../errors.ts"

/** Image file extensions the readers list. */
export const imageExtensions = new Set([".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"])

export const isImage = (name: string): boolean => imageExtensions.has(path.extname(name).toLowerCase())

/** Fails with {@link DatasetNotFound} (showing `layout`) unless `dir` is an existing directory. */
export const requireDir = (dataset: string, dir: string, layout: string): Effect.Effect<void, DatasetNotFound> =>
  Effect.tryPromise({
    try: async () => {
      const s = await fs.stat(dir)
      if (!s.isDirectory()) throw new Error("not a directory")
    },
    catch: () => new DatasetNotFound({ dataset, path: dir, layout })
  })

/** Fails with {@link DatasetNotFound} unless `file` exists. */
export const requireFile = (dataset: string, file: string, layout: string): Effect.Effect<void, DatasetNotFound> =>
  Effect.tryPromise({
    try: async () => {
      const s = await fs.stat(file)
      if (!s.isFile()) throw new Error("not a file")
    },
    catch: () => new DatasetNotFound({ dataset, path: file, layout })
  })

/** Whether a path exists. */
export const exists = (p: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    fs.stat(p).then(
      () => true,
      () => false
    )
  )

/** Options of {@link list}: where symbolic links may point, and where the ones that are not followed are counted. */
export interface ListOptions {
  /** A symbolic link is followed only when its target lies inside this folder (default: the listed folder). */
  readonly root?: string
  /** Called for each symbolic link that is not followed, with the reason (count it in the dataset report). */
  readonly skipped?: (name: string, reason: string) => void
}

/**
 * The sorted entries of a directory (names), files and / or directories. A symbolic link is listed as what it
 * points to when its real target lies inside `options.root`; a link out of it, or a broken one, is reported to
 * `options.skipped` instead of being dropped silently.
 */
export const list = (
  dir: string,
  kind: "files" | "dirs" | "all" = "all",
  options: ListOptions = {}
): Effect.Effect<Array<string>, MalformedMetadata> =>
  Effect.tryPromise({
    try: async () => {
      const entries = await fs.readdir(dir, { withFileTypes: true })
      const root = await fs.realpath(options.root ?? dir).catch(() => path.resolve(options.root ?? dir))
      const names: Array<string> = []
      for (const e of entries) {
        let file = e.isFile()
        let folder = e.isDirectory()
        if (e.isSymbolicLink()) {
          const full = path.join(dir, e.name)
          const real = await fs.realpath(full).catch(() => undefined)
          const stat = real === undefined ? undefined : await fs.stat(real).catch(() => undefined)
          if (real === undefined || stat === undefined) {
            options.skipped?.(e.name, "broken symbolic link")
            continue
          }
          if (!Confine.isInside(root, real)) {
            options.skipped?.(e.name, "symbolic link to outside the dataset folder")
            continue
          }
          file = stat.isFile()
          folder = stat.isDirectory()
        }
        if (kind === "all" ? file || folder : kind === "files" ? file : folder) names.push(e.name)
      }
      return names.sort()
    },
    catch: (e) => new MalformedMetadata({ path: dir, detail: `cannot list: ${describeCause(e)}` })
  })

/** The sorted image files of a directory (names only). */
export const listImages = (dir: string, options: ListOptions = {}): Effect.Effect<Array<string>, MalformedMetadata> =>
  Effect.map(list(dir, "files", options), (names) => names.filter(isImage))

/** Most bytes of a dataset list or annotation text file (MARS' `train_name.txt` is ~15 MB). */
export const TEXT_LIMIT = 256 * 1024 * 1024

/** A text file's content: a regular file of at most {@link TEXT_LIMIT} bytes (a FIFO or a device is refused). */
export const readText = (file: string): Effect.Effect<string, MalformedMetadata> =>
  Effect.tryPromise({
    try: () => BoundedRead.readTextPromise(file, TEXT_LIMIT),
    catch: (e) => new MalformedMetadata({ path: file, detail: `cannot read: ${BoundedRead.reasonOf(e)}` })
  })

/** A binary file's content: a regular file (a FIFO or a device is refused) of at most 4 GiB. */
export const readBytes = (file: string): Effect.Effect<Uint8Array, MalformedMetadata> =>
  Effect.tryPromise({
    try: () => BoundedRead.readBytesPromise(file),
    catch: (e) => new MalformedMetadata({ path: file, detail: `cannot read: ${BoundedRead.reasonOf(e)}` })
  })

/** Non-empty, trimmed lines. */
export const lines = (text: string): Array<string> =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
