/**
 * Decoded images as plain buffers: interleaved RGB, row-major (HWC), one byte per channel.
 * The synthetic world renders into them, the decoder (sharp) produces them, and the pipeline turns them
 * into float tensors.
 * @since 0.1.0
 */

/** An 8-bit RGB image, `data.length === height * width * 3`, HWC order. */
export interface RgbImage {
  readonly height: number
  readonly width: number
  readonly data: Uint8Array
}

/** A blank (black) image. */
export const make = (height: number, width: number): RgbImage => ({
  height,
  width,
  data: new Uint8Array(height * width * 3)
})

/** The pixel at (y, x) as [r, g, b]. */
export const pixel = (image: RgbImage, y: number, x: number): [number, number, number] => {
  const o = (y * image.width + x) * 3
  return [image.data[o]!, image.data[o + 1]!, image.data[o + 2]!]
}

/**
 * Bilinear resize (align-corners = false, as `tf.image.resizeBilinear` and PIL). Returns the image itself when
 * the size already matches.
 */
export const resize = (image: RgbImage, height: number, width: number): RgbImage => {
  if (image.height === height && image.width === width) return image
  const out = new Uint8Array(height * width * 3)
  const sy = image.height / height
  const sx = image.width / width
  const src = image.data
  const W = image.width
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, image.height - 1)
    const wy = fy - y0
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), W - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, W - 1)
      const wx = fx - x0
      const a = (y0 * W + x0) * 3
      const b = (y0 * W + x1) * 3
      const c = (y1 * W + x0) * 3
      const d = (y1 * W + x1) * 3
      const o = (y * width + x) * 3
      for (let ch = 0; ch < 3; ch++) {
        const top = src[a + ch]! + (src[b + ch]! - src[a + ch]!) * wx
        const bottom = src[c + ch]! + (src[d + ch]! - src[c + ch]!) * wx
        out[o + ch] = Math.round(top + (bottom - top) * wy)
      }
    }
  }
  return { height, width, data: out }
}
