/**
 * Bounded reads of user files: a file is opened without blocking, refused unless it is a regular file (a FIFO,
 * a device such as `/dev/zero`, a socket or a folder is refused before a byte is read), refused when larger than
 * a limit, and read with the limit enforced on the bytes actually read (a file that grows while read is refused
 * too). Parsers then check every declared size against the real length before allocating.
 * @since 0.1.0
 */
import { constants } from "node:fs"
import * as fs from "node:fs/promises"
import { Effect } from "effect"
import { describeCause, InputRefused } from "./errors.ts"

/** Default limit of a text file (a protocol, a run config, a JSON manifest): 16 MiB. */
export const TEXT_LIMIT = 16 * 1024 * 1024

/** Default limit of a binary data file (a `.mat`, `.npy`, feature file): 4 GiB - 1 (a Node Buffer's limit on 64-bit). */
export const BINARY_LIMIT = 2 ** 32 - 1

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 3 : 1)} MiB`

const kindOf = (s: {
  isDirectory(): boolean
  isFIFO(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
  isSocket(): boolean
}): string =>
  s.isDirectory()
    ? "a folder"
    : s.isFIFO()
      ? "a FIFO (named pipe)"
      : s.isCharacterDevice()
        ? "a character device"
        : s.isBlockDevice()
          ? "a block device"
          : s.isSocket()
            ? "a socket"
            : "not a regular file"

/** Refusal with a reason (thrown inside the Promise form). */
export class Refused extends Error {}

/** Reads at most `maxBytes` of a regular file (Promise form; throws {@link Refused} or the fs error). */
export const readBytesPromise = async (file: string, maxBytes: number = BINARY_LIMIT): Promise<Uint8Array> => {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new Refused(`it is ${kindOf(stat)}, not a regular file`)
    if (stat.size > maxBytes) throw new Refused(`it holds ${mib(stat.size)}, more than the limit of ${mib(maxBytes)}`)
    const buffer = new Uint8Array(stat.size + 1)
    let read = 0
    while (read < buffer.byteLength) {
      const { bytesRead } = await handle.read(buffer, read, buffer.byteLength - read, read)
      if (bytesRead === 0) break
      read += bytesRead
    }
    if (read > stat.size) throw new Refused("it grew while being read")
    return buffer.subarray(0, read)
  } finally {
    await handle.close()
  }
}

const toError = (file: string) => (cause: unknown) =>
  new InputRefused({ path: file, reason: cause instanceof Refused ? cause.message : describeCause(cause), cause })

/** Reads at most `maxBytes` of a regular file; anything else is an {@link InputRefused}. */
export const readBytes = (file: string, maxBytes: number = BINARY_LIMIT): Effect.Effect<Uint8Array, InputRefused> =>
  Effect.tryPromise({ try: () => readBytesPromise(file, maxBytes), catch: toError(file) })

/** Reads a UTF-8 text file of at most `maxBytes` (default {@link TEXT_LIMIT}). */
export const readText = (file: string, maxBytes: number = TEXT_LIMIT): Effect.Effect<string, InputRefused> =>
  Effect.tryPromise({
    try: async () => new TextDecoder().decode(await readBytesPromise(file, maxBytes)),
    catch: toError(file)
  })

/** Promise form of {@link readText}. */
export const readTextPromise = async (file: string, maxBytes: number = TEXT_LIMIT): Promise<string> =>
  new TextDecoder().decode(await readBytesPromise(file, maxBytes))

/** The one-line reason of an error thrown by the Promise forms. */
export const reasonOf = (cause: unknown): string => (cause instanceof Refused ? cause.message : describeCause(cause))
