/**
 * Image decoding with sharp (libvips): any JPEG / PNG / WebP / ... file to 8-bit RGB at the requested size
 * (bilinear resize, aspect ratio not kept, as torchreid's `Resize((h, w))`).
 * @since 0.1.0
 */
import { Effect } from "effect"
import sharp from "sharp"
import { CorruptImage } from "../errors.ts"
import type { RgbImage } from "../Image.ts"

/** Decodes and resizes a file; a file that cannot be decoded is a {@link CorruptImage} naming it. */
export const decode = (path: string, height: number, width: number): Effect.Effect<RgbImage, CorruptImage> =>
  Effect.tryPromise({
    try: async () => {
      const { data, info } = await sharp(path, { failOn: "error" })
        .removeAlpha()
        .toColourspace("srgb")
        .resize(width, height, { fit: "fill", kernel: "linear" })
        .raw()
        .toBuffer({ resolveWithObject: true })
      if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`)
      return {
        height: info.height,
        width: info.width,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      }
    },
    catch: (cause) => new CorruptImage({ path, cause })
  })

/** Encodes an RGB image to a file (format from the extension: .jpg, .png, ...). */
export const encode = (image: RgbImage, path: string, quality = 95): Effect.Effect<void, CorruptImage> =>
  Effect.tryPromise({
    try: async () => {
      const s = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      await (path.endsWith(".png") ? s.png() : s.jpeg({ quality })).toFile(path)
    },
    catch: (cause) => new CorruptImage({ path, cause })
  })

/** Fully decodes a file to check it; a file that cannot be decoded is a {@link CorruptImage} naming it. */
export const verify = (path: string): Effect.Effect<void, CorruptImage> =>
  Effect.tryPromise({
    try: () => sharp(path, { failOn: "error" }).raw().toBuffer(),
    catch: (cause) => new CorruptImage({ path, cause })
  }).pipe(Effect.asVoid)
