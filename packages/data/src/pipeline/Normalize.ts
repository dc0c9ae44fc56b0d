/**
 * From 8-bit RGB to the float input of a network: `x = (v / 255 - mean) / std` per channel, with the ImageNet
 * statistics by default (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225), as every ImageNet-pretrained
 * ReID backbone expects.
 * @since 0.1.0
 */
import type { RgbImage } from "../Image.ts"
import type { FloatImage } from "./Augment.ts"

/** Per-channel mean and standard deviation subtracted from and divided into RGB values in [0, 1]. */
export interface Normalization {
  readonly mean: readonly [number, number, number]
  readonly std: readonly [number, number, number]
}

/** The ImageNet statistics used by torchvision's pretrained models (and so by every ReID codebase that starts from them). */
export const imagenet: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }

/** No normalisation (values stay in [0, 1]). */
export const identity: Normalization = { mean: [0, 0, 0], std: [1, 1, 1] }

/** 8-bit RGB to floats in [0, 1]. */
export const toUnit = (image: RgbImage): FloatImage => {
  const data = new Float32Array(image.data.length)
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! / 255
  return { height: image.height, width: image.width, data }
}

/** Writes the normalised image into `out` at `offset`. */
export const normalizeInto = (img: FloatImage, n: Normalization, out: Float32Array, offset: number): void => {
  const d = img.data
  const [m0, m1, m2] = n.mean
  const [s0, s1, s2] = n.std
  for (let i = 0; i < d.length; i += 3) {
    out[offset + i] = (d[i]! - m0) / s0
    out[offset + i + 1] = (d[i + 1]! - m1) / s1
    out[offset + i + 2] = (d[i + 2]! - m2) / s2
  }
}
