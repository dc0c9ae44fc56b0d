/**
 * The cameras of the synthetic world: each has its own viewpoint habit, distance (scale), light, white balance,
 * blur, noise and background. All images of a camera share them, which makes cross-camera matching harder than
 * same-camera matching.
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import * as Canvas from "./Canvas.ts"
import type { Colour } from "./Canvas.ts"
import type { Difficulty } from "./Difficulty.ts"

/** The side of the object the camera sees. */
export type View = "front" | "back" | "left" | "right"
export const views: ReadonlyArray<View> = ["front", "back", "left", "right"]

export type Texture = "plain" | "stripes" | "tiles" | "blobs"

export interface CameraModel {
  readonly index: number
  /** The view this camera usually has. */
  readonly mainView: View
  /** Probability that an image shows another view than `mainView`. */
  readonly otherViews: number
  /** Brightness gain. */
  readonly gain: number
  /** Per-channel white-balance gains. */
  readonly cast: Colour
  /** Box-blur radius in pixels per 64 pixels of image width. */
  readonly blur: number
  /** Noise standard deviation (0..255). */
  readonly noise: number
  /** Object height as a fraction of the image height. */
  readonly scale: number
  readonly background: {
    readonly upper: Colour
    readonly lower: Colour
    /** Row (fraction of height) where the upper part meets the lower one. */
    readonly horizon: number
    readonly texture: Texture
    readonly accent: Colour
    /** Texture period as a fraction of the image width. */
    readonly period: number
    /** Fixed background objects: [x, y, w, h] fractions and a colour. */
    readonly blobs: ReadonlyArray<readonly [number, number, number, number, Colour]>
  }
  /** Colours of occluders seen by this camera. */
  readonly occluders: ReadonlyArray<Colour>
}

const grey: Colour = [128, 128, 128]

const randomColour = (rng: RandomStream): Colour =>
  Canvas.hsv(rng.uniform(0, 360), rng.uniform(0.15, 0.6), rng.uniform(0.3, 0.85))

/** The model of camera `index`, deterministic in (seed, world name, index, difficulty). */
export const make = (seed: number, world: string, index: number, d: Difficulty): CameraModel => {
  const rng = RandomStream.fromSeed(seed, `${world}/camera/${index}`)
  // with viewpoint 0 every camera sees the front; otherwise each camera has its own habit
  const habit = views[(index + rng.nextInt(4)) % 4]!
  const mainView = d.viewpoint === 0 ? "front" : habit
  const gain = 1 + d.illumination * rng.uniform(-0.45, 0.35)
  const cast: Colour = [
    1 + d.colourCast * rng.uniform(-0.3, 0.3),
    1 + d.colourCast * rng.uniform(-0.2, 0.2),
    1 + d.colourCast * rng.uniform(-0.3, 0.3)
  ]
  const k = d.background
  const textures: ReadonlyArray<Texture> = ["plain", "stripes", "tiles", "blobs"]
  const texture = k === 0 ? "plain" : rng.pick(textures)
  const blobs: Array<readonly [number, number, number, number, Colour]> = []
  const nBlobs = Math.round(k * rng.uniform(1, 6))
  for (let i = 0; i < nBlobs; i++) {
    blobs.push([
      rng.uniform(-0.1, 1),
      rng.uniform(0, 0.9),
      rng.uniform(0.08, 0.35),
      rng.uniform(0.05, 0.3),
      randomColour(rng)
    ])
  }
  return {
    index,
    mainView,
    otherViews: 0.8 * d.viewpoint,
    gain,
    cast,
    blur: d.blur * rng.uniform(0, 2.5),
    noise: d.noise * rng.uniform(3, 14),
    scale: 1 - d.scale * rng.uniform(0, 0.35),
    background: {
      upper: Canvas.mix(grey, randomColour(rng), k),
      lower: Canvas.mix([110, 110, 110], randomColour(rng), k),
      horizon: 0.55 + 0.3 * rng.nextFloat(),
      texture,
      accent: Canvas.mix(grey, randomColour(rng), k),
      period: rng.uniform(0.12, 0.45),
      blobs
    },
    occluders: [randomColour(rng), randomColour(rng), [70, 70, 75]]
  }
}

/** Draws the camera's background, shifted horizontally by `offset` (fraction of the width; moves with tracking). */
export const drawBackground = (c: Canvas.Canvas, cam: CameraModel, offset: number, strength: number): void => {
  const { height: H, width: W } = c
  const bg = cam.background
  const hz = bg.horizon * H
  Canvas.rect(c, 0, 0, W, hz, bg.upper)
  Canvas.rect(c, 0, hz, W, H, bg.lower)
  if (strength <= 0) return
  const period = Math.max(2, bg.period * W)
  const shift = offset * W
  switch (bg.texture) {
    case "plain":
      break
    case "stripes": {
      const accent = Canvas.mix(bg.upper, bg.accent, strength)
      for (let x = -((shift % period) + period); x < W; x += period) Canvas.rect(c, x, 0, x + period * 0.35, hz, accent)
      break
    }
    case "tiles": {
      const accent = Canvas.mix(bg.lower, bg.accent, strength)
      for (let x = -((shift % period) + period); x < W; x += period)
        Canvas.rect(c, x, hz, x + Math.max(1, period * 0.08), H, accent)
      for (let y = hz; y < H; y += period * 0.5) Canvas.rect(c, 0, y, W, y + Math.max(1, period * 0.05), accent)
      break
    }
    case "blobs":
      break
  }
  for (const [x, y, w, h, col] of bg.blobs) {
    const x0 = ((((x - offset) % 1.2) + 1.2) % 1.2) - 0.1
    Canvas.rect(
      c,
      x0 * W,
      y * H,
      (x0 + w) * W,
      (y + h) * H,
      Canvas.mix(y * H < hz ? bg.upper : bg.lower, col, strength)
    )
  }
}

/** A filled rectangle `[x0, x1) x [y0, y1)` (pixels, as `Canvas.rect` fills it) and its colour. */
export interface PaintedRect {
  readonly x0: number
  readonly y0: number
  readonly x1: number
  readonly y1: number
  readonly colour: Colour
}

/**
 * The rectangles of an occluder over part of the object's box (a pole, a low obstacle, or part of another
 * pedestrian / vehicle), in painting order, on a canvas of height `canvasHeight`. {@link drawOccluder} paints them;
 * the shot annotations test keypoints against them.
 */
export const occluderRects = (
  canvasHeight: number,
  canvasWidth: number,
  cam: CameraModel,
  box: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  rng: RandomStream
): ReadonlyArray<PaintedRect> => {
  const colour = Canvas.shade(rng.pick(cam.occluders), rng.uniform(0.8, 1.2))
  const cover = rng.uniform(0.15, 0.45)
  const kind = rng.nextInt(3)
  if (kind === 0) {
    // vertical pole or tree trunk
    const x = box.left + rng.uniform(-0.1, 0.9) * box.width
    return [{ x0: x, y0: 0, x1: x + cover * box.width * 0.6, y1: canvasHeight, colour }]
  }
  if (kind === 1) {
    // low obstacle covering the bottom
    return [{ x0: 0, y0: box.top + (1 - cover) * box.height, x1: canvasWidth, y1: canvasHeight, colour }]
  }
  // another object entering from one side
  const fromLeft = rng.bernoulli(0.5)
  const w = cover * box.width * 1.4
  const x0 = fromLeft ? box.left - 0.2 * box.width : box.left + box.width * 1.2 - w
  const other = Canvas.hsv(rng.uniform(0, 360), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.9))
  return [
    { x0, y0: box.top + 0.1 * box.height, x1: x0 + w, y1: box.top + 0.55 * box.height, colour: other },
    { x0, y0: box.top + 0.55 * box.height, x1: x0 + w, y1: canvasHeight, colour }
  ]
}

/** Whether pixel `(x, y)` (integers) is inside a rectangle as `Canvas.rect` fills it (rounded edges). */
export const covers = (r: PaintedRect, x: number, y: number): boolean =>
  x >= Math.round(r.x0) && x < Math.round(r.x1) && y >= Math.round(r.y0) && y < Math.round(r.y1)

/** An occluder over part of the object's box (a pole, a low obstacle, or part of another pedestrian / vehicle). */
export const drawOccluder = (
  c: Canvas.Canvas,
  cam: CameraModel,
  box: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  rng: RandomStream
): void => {
  for (const r of occluderRects(c.height, c.width, cam, box, rng)) Canvas.rect(c, r.x0, r.y0, r.x1, r.y1, r.colour)
}
