/**
 * File-system helpers shared by the readers (node:fs, wrapped in Effect with typed errors).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
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

/** The sorted entries of a directory (names), files and / or directories. */
export const list = (dir: string, kind: "files" | "dirs" | "all" = "all"): Effect.Effect<Array<string>, MalformedMetadata> =>
  Effect.tryPromise({
    try: async () => {
      const entries = await fs.readdir(dir, { withFileTypes: true })
      return entries
        .filter((e) => (kind === "all" ? true : kind === "files" ? e.isFile() : e.isDirectory()))
        .map((e) => e.name)
        .sort()
    },
    catch: (e) => new MalformedMetadata({ path: dir, detail: `cannot list: ${String(e)}` })
  })

/** The sorted image files of a directory (names only). */
export const listImages = (dir: string): Effect.Effect<Array<string>, MalformedMetadata> =>
  Effect.map(list(dir, "files"), (names) => names.filter(isImage))

/** A text file's content. */
export const readText = (file: string): Effect.Effect<string, MalformedMetadata> =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (e) => new MalformedMetadata({ path: file, detail: `cannot read: ${String(e)}` })
  })

/** A binary file's content. */
export const readBytes = (file: string): Effect.Effect<Uint8Array, MalformedMetadata> =>
  Effect.tryPromise({
    try: async () => new Uint8Array(await fs.readFile(file)),
    catch: (e) => new MalformedMetadata({ path: file, detail: `cannot read: ${String(e)}` })
  })

/** Non-empty, trimmed lines. */
export const lines = (text: string): Array<string> =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
