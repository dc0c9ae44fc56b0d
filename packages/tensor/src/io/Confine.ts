/**
 * Confinement: a path read from a manifest (a tfjs `model.json` weights path, a dataset list row) must resolve
 * inside the folder that holds the manifest. `..` segments that climb out, absolute paths, and symbolic links
 * whose target lies outside are refused with a {@link PathEscapesRoot} naming the path as written; absolute
 * paths are accepted only when the caller opts in (`allowAbsolute`), e.g. for a dataset list the user wrote
 * with absolute paths on purpose.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { PathEscapesRoot } from "./errors.ts"

/** Options of {@link resolveInside}. */
export interface ConfineOptions {
  /** Where the path was named (for the error), e.g. "model.json weightsManifest". */
  readonly where: string
  /** Accept an absolute path as written (default false). */
  readonly allowAbsolute?: boolean
}

/** Whether `target` is `root` or inside it (both resolved). */
export const isInside = (root: string, target: string): boolean => {
  const rel = path.relative(path.resolve(root), path.resolve(target))
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

/**
 * Resolves `name` against `root` lexically (no file-system access): an absolute `name` is refused unless
 * `allowAbsolute`, and a relative one must stay inside `root`. Returns the resolved path, or undefined when it
 * escapes.
 */
export const resolveLexically = (root: string, name: string, allowAbsolute = false): string | undefined => {
  if (path.isAbsolute(name)) return allowAbsolute ? path.normalize(name) : undefined
  const resolved = path.resolve(root, name)
  return isInside(root, resolved) ? resolved : undefined
}

/**
 * Resolves `name` against `root` and checks it stays inside, following symbolic links: the real path of the
 * result must lie inside the real path of `root` (unless it was an allowed absolute path). A missing file
 * passes (reading it reports ENOENT). Promise form: rejects with a {@link PathEscapesRoot}.
 */
export const resolveInsidePromise = async (root: string, name: string, options: ConfineOptions): Promise<string> => {
  const escaped = () => new PathEscapesRoot({ path: name, root, where: options.where })
  const allowAbsolute = options.allowAbsolute === true && path.isAbsolute(name)
  const resolved = resolveLexically(root, name, options.allowAbsolute === true)
  if (resolved === undefined) throw escaped()
  if (allowAbsolute) return resolved
  const real = await fs.realpath(resolved).catch(() => undefined)
  if (real === undefined) return resolved
  const realRoot = await fs.realpath(root).catch(() => path.resolve(root))
  if (!isInside(realRoot, real)) throw escaped()
  return resolved
}

/** Effect form of {@link resolveInsidePromise}. */
export const resolveInside = (
  root: string,
  name: string,
  options: ConfineOptions
): Effect.Effect<string, PathEscapesRoot> =>
  Effect.tryPromise({
    try: () => resolveInsidePromise(root, name, options),
    catch: (e) => (e instanceof PathEscapesRoot ? e : new PathEscapesRoot({ path: name, root, where: options.where }))
  })
