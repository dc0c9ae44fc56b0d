/**
 * Exact positional reads from an open file, for the weight-file readers.
 * @since 0.2.0
 */
import type * as fs from "node:fs/promises"

/**
 * Reads exactly `length` bytes at `position` (looping over short reads); a file that ends first is an error naming
 * the byte. Shared by the `.safetensors` and `.npz` readers.
 * @internal
 */
export const readExactly = async (handle: fs.FileHandle, length: number, position: number): Promise<Uint8Array> => {
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done)
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`)
    done += bytesRead
  }
  return out
}
