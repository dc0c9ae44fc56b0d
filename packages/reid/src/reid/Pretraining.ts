/**
 * The shared pretraining of a protocol (`pretraining:` in a protocol file): a model trained once on a source
 * world with the strong baseline's objective, its weights cached on disk under a content address (the SHA-256
 * of the pretraining spec, the model spec, the input size and augmentation, and {@link version}), and loaded
 * into every method's and seed's model before task 1, as ImageNet weights are in the papers. The classifier
 * is not transferred (the tasks' identities are others).
 *
 * Within a process, concurrent requests for the same key share one computation; across processes, the cache
 * folder is written atomically (a temporary folder renamed into place), so a finished entry is never partial.
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Protocol } from "../Protocol.ts"

/** Bumped when the pretraining recipe changes, so old cache entries are not reused. */
export const version = 1

/** The canonical text a cache key hashes. */
export const keyText = (protocol: Protocol): string | undefined => {
  const p = protocol.pretraining
  if (p === undefined) return undefined
  const t = protocol.training
  return JSON.stringify({
    version,
    pretraining: p,
    model: protocol.model,
    input: {
      height: t.height,
      width: t.width,
      flip: t.flip,
      pad: t.pad,
      erasing: t.erasing,
      weightDecay: t.optimizer.weightDecay
    }
  })
}

/** The content address of a protocol's pretraining (hex SHA-256, 16 characters), or undefined without one. */
export const key = (protocol: Protocol): string | undefined => {
  const text = keyText(protocol)
  return text === undefined ? undefined : createHash("sha256").update(text).digest("hex").slice(0, 16)
}

/**
 * The cache folder: `REIDFX_CACHE` when set, else `node_modules/.cache/reidfx` under the working directory
 * (where build tools keep their caches; ignored by git).
 */
export const defaultCacheDir = (): string =>
  process.env["REIDFX_CACHE"] ?? path.join(process.cwd(), "node_modules", ".cache", "reidfx")

/** The folder of a key's weights. */
export const entryDir = (cacheDir: string, k: string): string => path.join(cacheDir, "pretraining", k)

/** Whether a finished entry exists. */
export const exists = (cacheDir: string, k: string): boolean =>
  fs.existsSync(path.join(entryDir(cacheDir, k), "done.json"))
