/**
 * A tiny float RGB raster with the primitives the synthetic world draws with (painter's algorithm), and the
 * camera effects applied after drawing (box blur, gain and colour cast, sensor noise).
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import type { RgbImage } from "../Image.ts"

/** An RGB colour, 0..255 per channel. */
export type Colour = readonly [number, number, number]

/** A per-pixel colour function of the shape's local coordinates (u, v in [0, 1] across the shape's box). */
export type Shade = (u: number, v: number) => Colour

export interface Canvas {
  readonly height: number
  readonly width: number
  readonly data: Float32Array
}

export const make = (height: number, width: number): Canvas => ({
  height,
  width,
  data: new Float32Array(height * width * 3)
})

const put = (c: Canvas, x: number, y: number, col: Colour): void => {
  const o = (y * c.width + x) * 3
  c.data[o] = col[0]
  c.data[o + 1] = col[1]
  c.data[o + 2] = col[2]
}

/** Fills the axis-aligned rectangle [x0, x1) x [y0, y1) (pixel coordinates, clipped). */
export const rect = (c: Canvas, x0: number, y0: number, x1: number, y1: number, paint: Colour | Shade): void => {
  const xa = Math.max(0, Math.round(x0))
  const xb = Math.min(c.width, Math.round(x1))
  const ya = Math.max(0, Math.round(y0))
  const yb = Math.min(c.height, Math.round(y1))
  if (xa >= xb || ya >= yb) return
  if (typeof paint !== "function") {
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) put(c, x, y, paint)
    return
  }
  const w = Math.max(x1 - x0, 1e-6)
  const h = Math.max(y1 - y0, 1e-6)
  for (let y = ya; y < yb; y++) {
    const v = (y + 0.5 - y0) / h
    for (let x = xa; x < xb; x++) put(c, x, y, paint((x + 0.5 - x0) / w, v))
  }
}

/** Fills the ellipse of centre (cx, cy) and radii (rx, ry). */
export const ellipse = (c: Canvas, cx: number, cy: number, rx: number, ry: number, paint: Colour | Shade): void => {
  const ya = Math.max(0, Math.floor(cy - ry))
  const yb = Math.min(c.height, Math.ceil(cy + ry))
  for (let y = ya; y < yb; y++) {
    const dy = (y + 0.5 - cy) / ry
    const half = dy * dy >= 1 ? -1 : rx * Math.sqrt(1 - dy * dy)
    if (half <= 0) continue
    const xa = Math.max(0, Math.round(cx - half))
    const xb = Math.min(c.width, Math.round(cx + half))
    for (let x = xa; x < xb; x++) {
      put(
        c,
        x,
        y,
        typeof paint === "function" ? paint((x + 0.5 - (cx - rx)) / (2 * rx), (y + 0.5 - (cy - ry)) / (2 * ry)) : paint
      )
    }
  }
}

/**
 * Fills the trapezoid between rows y0 and y1, spanning [ax0, ax1] at the top and [bx0, bx1] at the bottom
 * (covers rectangles, trapezoids, parallelograms: slanted legs and windows).
 */
export const trapezoid = (
  c: Canvas,
  y0: number,
  y1: number,
  ax0: number,
  ax1: number,
  bx0: number,
  bx1: number,
  paint: Colour | Shade
): void => {
  const ya = Math.max(0, Math.round(y0))
  const yb = Math.min(c.height, Math.round(y1))
  const h = Math.max(y1 - y0, 1e-6)
  for (let y = ya; y < yb; y++) {
    const t = (y + 0.5 - y0) / h
    const l = ax0 + (bx0 - ax0) * t
    const r = ax1 + (bx1 - ax1) * t
    const xa = Math.max(0, Math.round(l))
    const xb = Math.min(c.width, Math.round(r))
    const w = Math.max(r - l, 1e-6)
    for (let x = xa; x < xb; x++) put(c, x, y, typeof paint === "function" ? paint((x + 0.5 - l) / w, t) : paint)
  }
}

/** Separable box blur of the given radius in pixels (0: no blur), clamped at the borders. */
export const boxBlur = (c: Canvas, radius: number): void => {
  const r = Math.round(radius)
  if (r <= 0) return
  const { width: W, height: H, data } = c
  const tmp = new Float32Array(data.length)
  const n = 2 * r + 1
  for (let y = 0; y < H; y++) {
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0
      for (let k = -r; k <= r; k++) sum += data[(y * W + Math.min(W - 1, Math.max(0, k))) * 3 + ch]!
      for (let x = 0; x < W; x++) {
        tmp[(y * W + x) * 3 + ch] = sum / n
        const out = Math.max(0, x - r)
        const inn = Math.min(W - 1, x + r + 1)
        sum += data[(y * W + inn) * 3 + ch]! - data[(y * W + out) * 3 + ch]!
      }
    }
  }
  for (let x = 0; x < W; x++) {
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0
      for (let k = -r; k <= r; k++) sum += tmp[(Math.min(H - 1, Math.max(0, k)) * W + x) * 3 + ch]!
      for (let y = 0; y < H; y++) {
        data[(y * W + x) * 3 + ch] = sum / n
        const out = Math.max(0, y - r)
        const inn = Math.min(H - 1, y + r + 1)
        sum += tmp[(inn * W + x) * 3 + ch]! - tmp[(out * W + x) * 3 + ch]!
      }
    }
  }
}

const NOISE_SIZE = 1 << 16
let noiseTable: Float32Array | undefined
/** A fixed table of standard normal draws (drawing Box-Muller pairs per pixel would dominate rendering time). */
const gaussianTable = (): Float32Array => {
  if (noiseTable === undefined) {
    const rng = RandomStream.fromSeed(0x5eed, "synthetic/noise-table")
    noiseTable = new Float32Array(NOISE_SIZE)
    for (let i = 0; i < NOISE_SIZE; i++) noiseTable[i] = rng.normal()
  }
  return noiseTable
}

/**
 * The camera's photometric response, then quantisation: `out = clamp(gain * cast[ch] * in + noise)` with
 * Gaussian noise of standard deviation `noise` (0..255 units): a walk through a fixed table of normal draws
 * with a start and an odd stride drawn from `rng` (so each image has its own noise, deterministically).
 */
export const develop = (c: Canvas, gain: number, cast: Colour, noise: number, rng: RandomStream): RgbImage => {
  const out = new Uint8Array(c.data.length)
  const g0 = gain * cast[0]
  const g1 = gain * cast[1]
  const g2 = gain * cast[2]
  const d = c.data
  const table = gaussianTable()
  const mask = NOISE_SIZE - 1
  let k = rng.nextInt(NOISE_SIZE)
  const stride = 1 + 2 * rng.nextInt(NOISE_SIZE / 2)
  for (let i = 0; i < d.length; i += 3) {
    let r = d[i]! * g0
    let g = d[i + 1]! * g1
    let b = d[i + 2]! * g2
    if (noise > 0) {
      r += noise * table[k & mask]!
      g += noise * table[(k + 7919) & mask]!
      b += noise * table[(k + 104729) & mask]!
      k += stride
    }
    out[i] = r < 0 ? 0 : r > 255 ? 255 : r
    out[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g
    out[i + 2] = b < 0 ? 0 : b > 255 ? 255 : b
  }
  return { height: c.height, width: c.width, data: out }
}

/** HSV (h in degrees, s and v in 0..1) to RGB 0..255. */
export const hsv = (h: number, s: number, v: number): Colour => {
  const hh = (((h % 360) + 360) % 360) / 60
  const i = Math.floor(hh)
  const f = hh - i
  const p = v * (1 - s)
  const q = v * (1 - s * f)
  const t = v * (1 - s * (1 - f))
  const [r, g, b] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q]
  ][i % 6]!
  return [r! * 255, g! * 255, b! * 255]
}

/** Linear mix of two colours. */
export const mix = (a: Colour, b: Colour, t: number): Colour => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t
]

/** Scales a colour's brightness. */
export const shade = (a: Colour, k: number): Colour => [a[0] * k, a[1] * k, a[2] * k]
