/**
 * Typed errors of file input and output: every one names the file and says, in one line, what went wrong and
 * what to do.
 * @since 0.1.0
 */
import { Data } from "effect"

/** A readable reason for a Node file-system error (its code first, then what it means). */
export const describeCause = (cause: unknown): string => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case "ENOSPC":
      return "no space left on the device (ENOSPC)"
    case "EDQUOT":
      return "disk quota exceeded (EDQUOT)"
    case "EROFS":
      return "the file system is read-only (EROFS)"
    case "EACCES":
    case "EPERM":
      return `permission denied (${code})`
    case "ENOENT":
      return "no such file or folder (ENOENT)"
    case "ENOTDIR":
      return "a part of the path is not a folder (ENOTDIR)"
    case "EISDIR":
      return "it is a folder (EISDIR)"
    default: {
      const text = cause instanceof Error ? cause.message : String(cause)
      return text.split("\n")[0] ?? text
    }
  }
}

/** A file or folder could not be written; the previous version (if any) is kept intact. @category errors */
export class WriteFailed extends Data.TaggedError("WriteFailed")<{
  readonly path: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `cannot write ${this.path}: ${this.reason}; nothing was replaced`
  }
}

/** An input file is refused before it is parsed (too large, not a regular file, unreadable). @category errors */
export class InputRefused extends Data.TaggedError("InputRefused")<{
  readonly path: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `cannot read ${this.path}: ${this.reason}`
  }
}

/** A path named inside a manifest resolves outside the folder it must stay in. @category errors */
export class PathEscapesRoot extends Data.TaggedError("PathEscapesRoot")<{
  /** The path as written in the manifest. */
  readonly path: string
  /** The folder it must stay in. */
  readonly root: string
  /** Where the manifest names it (e.g. "model.json weightsManifest"). */
  readonly where: string
}> {
  override get message(): string {
    return `${this.where}: path "${this.path}" resolves outside ${this.root}; only paths inside that folder are read`
  }
}

/** A run folder cannot be used (held by another process, not a run folder, a different configuration). @category errors */
export class RunFolderRefused extends Data.TaggedError("RunFolderRefused")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `run folder ${this.path}: ${this.reason}`
  }
}
