/**
 * Procedural people: an identity is a set of colours and shapes (hair, skin, top with a pattern and sleeves,
 * trousers / shorts / skirt, shoes, an optional hat and bag, build), drawn from a viewpoint with a gait phase.
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import * as Canvas from "./Canvas.ts"
import type { Colour, Shade } from "./Canvas.ts"
import type { View } from "./Camera.ts"

export type Pattern = "solid" | "horizontalStripes" | "verticalStripes" | "check" | "twoTone" | "logo"
const patterns: ReadonlyArray<Pattern> = ["solid", "horizontalStripes", "twoTone", "verticalStripes", "check", "logo"]

export interface PersonAppearance {
  readonly skin: Colour
  readonly hair: Colour
  readonly longHair: boolean
  readonly hat: Colour | undefined
  readonly top: Colour
  readonly topSecond: Colour
  readonly pattern: Pattern
  readonly shortSleeves: boolean
  readonly bottom: Colour
  readonly bottomStyle: "trousers" | "shorts" | "skirt"
  readonly shoes: Colour
  readonly bag: "none" | "backpack" | "shoulder" | "handbag"
  readonly bagColour: Colour
  /** Width factor (0.85..1.15). */
  readonly build: number
  /** Height factor (0.9..1). */
  readonly stature: number
}

const skins: ReadonlyArray<Colour> = [
  [241, 204, 176],
  [224, 172, 130],
  [198, 134, 96],
  [141, 85, 54],
  [92, 58, 40]
]
const hairs: ReadonlyArray<Colour> = [
  [20, 16, 14],
  [60, 40, 25],
  [110, 75, 40],
  [190, 160, 100],
  [150, 150, 150]
]

/**
 * A clothing colour from a palette whose size shrinks with `similarity` (12 hues x 3 values at 0, 3 hues x
 * 1 value at 1), plus achromatic colours (black, white, greys).
 */
export const clothingColour = (rng: RandomStream, similarity: number): Colour => {
  const hues = Math.max(3, Math.round(12 - 9 * similarity))
  const values = Math.max(1, Math.round(3 - 2 * similarity))
  if (rng.bernoulli(0.3)) {
    const greys = [25, 60, 120, 180, 235]
    const g = greys[rng.nextInt(Math.max(2, Math.round(5 - 3 * similarity)))]!
    return [g, g, g]
  }
  const hue = (rng.nextInt(hues) * 360) / hues + 10
  const value = [0.75, 0.45, 0.95][rng.nextInt(values)]!
  const sat = rng.bernoulli(0.5) ? 0.75 : 0.45
  return Canvas.hsv(hue, sat, value)
}

/** A person identity from its own random stream. */
export const appearance = (rng: RandomStream, similarity: number): PersonAppearance => {
  const nPatterns = Math.max(2, Math.round(6 - 4 * similarity))
  const bags = ["none", "none", "backpack", "shoulder", "handbag"] as const
  return {
    skin: rng.pick(skins),
    hair: rng.pick(hairs),
    longHair: rng.bernoulli(0.35),
    hat: rng.bernoulli(0.15) ? clothingColour(rng, similarity) : undefined,
    top: clothingColour(rng, similarity),
    topSecond: clothingColour(rng, similarity),
    pattern: patterns[rng.nextInt(nPatterns)]!,
    shortSleeves: rng.bernoulli(0.4),
    bottom: clothingColour(rng, similarity),
    bottomStyle: rng.pick(["trousers", "trousers", "shorts", "skirt"] as const),
    shoes: rng.pick<Colour>([[25, 25, 25], [235, 235, 235], [90, 60, 40], clothingColour(rng, similarity)]),
    bag: rng.pick(bags),
    bagColour: clothingColour(rng, similarity),
    build: rng.uniform(0.85, 1.15),
    stature: rng.uniform(0.9, 1)
  }
}

const topShade = (a: PersonAppearance, view: View): Colour | Shade => {
  const { top, topSecond } = a
  switch (a.pattern) {
    case "solid":
      return top
    case "horizontalStripes":
      return (_u, v) => (Math.floor(v * 6) % 2 === 0 ? top : topSecond)
    case "verticalStripes":
      return (u) => (Math.floor(u * 5) % 2 === 0 ? top : topSecond)
    case "check":
      return (u, v) => ((Math.floor(u * 4) + Math.floor(v * 5)) % 2 === 0 ? top : topSecond)
    case "twoTone":
      return (_u, v) => (v < 0.45 ? top : topSecond)
    case "logo":
      return view === "front" ? (u, v) => (Math.abs(u - 0.5) < 0.2 && v > 0.2 && v < 0.5 ? topSecond : top) : top
  }
}

/** The object's box in pixels: horizontal centre, top row, height. */
export interface Placement {
  readonly cx: number
  readonly top: number
  readonly height: number
}

/**
 * The frame a person is drawn in: its height `h` (stature) standing on the bottom of `place`, body width `w`
 * (build), centre `cx`, `Y(v)` the image row at fraction `v` of the height from the head, the side-view flag, the
 * facing direction and the gait swing `sin(phase)`. The renderer and the keypoint annotations share it, so the
 * keypoints stay on the drawn figure.
 * @since 0.2.0
 */
export const bodyFrame = (a: PersonAppearance, view: View, place: Placement, phase: number) => {
  const h = place.height * a.stature
  const top = place.top + (place.height - h)
  return {
    h,
    w: h * 0.38 * a.build,
    cx: place.cx,
    Y: (v: number) => top + v * h,
    side: view === "left" || view === "right",
    dir: view === "left" ? -1 : 1,
    swing: Math.sin(phase)
  }
}

/** Draws a person. `phase` is the gait phase in radians (walking animation). */
export const draw = (c: Canvas.Canvas, a: PersonAppearance, view: View, place: Placement, phase: number): void => {
  const { cx, dir, h, side, swing, w, Y } = bodyFrame(a, view, place, phase)
  const legColour = a.bottomStyle === "trousers" ? a.bottom : a.skin
  const torso = topShade(a, view)

  // backpack seen from the side is behind the torso
  if (side && a.bag === "backpack")
    Canvas.rect(c, cx - dir * 0.32 * w - 0.16 * w, Y(0.19), cx - dir * 0.32 * w + 0.16 * w, Y(0.46), a.bagColour)

  // legs
  if (side) {
    for (const s of [1, -1]) {
      const foot = cx + s * swing * 0.28 * w
      Canvas.trapezoid(c, Y(0.52), Y(0.95), cx - 0.09 * w, cx + 0.09 * w, foot - 0.08 * w, foot + 0.08 * w, legColour)
      if (a.bottomStyle === "shorts")
        Canvas.trapezoid(
          c,
          Y(0.52),
          Y(0.68),
          cx - 0.1 * w,
          cx + 0.1 * w,
          cx + s * swing * 0.1 * w - 0.1 * w,
          cx + s * swing * 0.1 * w + 0.1 * w,
          a.bottom
        )
      Canvas.rect(c, foot - 0.08 * w + dir * 0.02 * w, Y(0.95), foot + 0.1 * w + dir * 0.04 * w, Y(1), a.shoes)
    }
  } else {
    for (const s of [-1, 1]) {
      const lift = Math.max(0, s * swing) * 0.03
      const x0 = cx + s * 0.02 * w
      const x1 = cx + s * 0.19 * w
      Canvas.rect(c, Math.min(x0, x1), Y(0.52), Math.max(x0, x1), Y(0.95 - lift), legColour)
      if (a.bottomStyle === "shorts") Canvas.rect(c, Math.min(x0, x1), Y(0.52), Math.max(x0, x1), Y(0.68), a.bottom)
      Canvas.rect(c, Math.min(x0, x1) - 0.01 * w, Y(0.95 - lift), Math.max(x0, x1) + 0.01 * w, Y(1 - lift), a.shoes)
    }
  }
  if (a.bottomStyle === "skirt") {
    const half = side ? 0.16 : 0.24
    Canvas.trapezoid(
      c,
      Y(0.5),
      Y(0.72),
      cx - half * 0.8 * w,
      cx + half * 0.8 * w,
      cx - half * 1.2 * w,
      cx + half * 1.2 * w,
      a.bottom
    )
  }

  // torso
  const half = side ? 0.15 : 0.25
  Canvas.trapezoid(
    c,
    Y(0.17),
    Y(0.54),
    cx - half * w,
    cx + half * w,
    cx - (half - 0.03) * w,
    cx + (half - 0.03) * w,
    torso
  )
  if (!side || a.bottomStyle !== "skirt")
    Canvas.rect(c, cx - (half - 0.03) * w, Y(0.5), cx + (half - 0.03) * w, Y(0.55), a.bottom)

  // arms
  const sleeveEnd = a.shortSleeves ? 0.3 : 0.5
  if (side) {
    const hand = cx + dir * swing * 0.25 * w
    Canvas.trapezoid(c, Y(0.18), Y(0.5), cx - 0.06 * w, cx + 0.06 * w, hand - 0.06 * w, hand + 0.06 * w, a.skin)
    Canvas.trapezoid(
      c,
      Y(0.18),
      Y(sleeveEnd),
      cx - 0.07 * w,
      cx + 0.07 * w,
      cx + dir * swing * 0.25 * w * ((sleeveEnd - 0.18) / 0.32) - 0.07 * w,
      cx + dir * swing * 0.25 * w * ((sleeveEnd - 0.18) / 0.32) + 0.07 * w,
      a.top
    )
  } else {
    for (const s of [-1, 1]) {
      const x0 = cx + s * 0.25 * w
      const x1 = cx + s * 0.34 * w
      Canvas.rect(c, Math.min(x0, x1), Y(0.18), Math.max(x0, x1), Y(0.5), a.skin)
      Canvas.rect(c, Math.min(x0, x1), Y(0.18), Math.max(x0, x1), Y(sleeveEnd), a.top)
    }
  }

  // bags
  if (a.bag === "backpack") {
    if (view === "back") Canvas.rect(c, cx - 0.19 * w, Y(0.2), cx + 0.19 * w, Y(0.46), a.bagColour)
    else if (view === "front") {
      Canvas.rect(c, cx - 0.17 * w, Y(0.17), cx - 0.11 * w, Y(0.38), a.bagColour)
      Canvas.rect(c, cx + 0.11 * w, Y(0.17), cx + 0.17 * w, Y(0.38), a.bagColour)
    }
  } else if (a.bag === "shoulder") {
    const s = view === "back" ? -1 : 1
    Canvas.trapezoid(
      c,
      Y(0.17),
      Y(0.45),
      cx - s * 0.2 * w - 0.03 * w,
      cx - s * 0.2 * w + 0.03 * w,
      cx + s * 0.25 * w - 0.03 * w,
      cx + s * 0.25 * w + 0.03 * w,
      a.bagColour
    )
    const bx = side ? cx - dir * 0.05 * w : cx + s * 0.33 * w
    Canvas.rect(c, bx - 0.12 * w, Y(0.43), bx + 0.12 * w, Y(0.56), a.bagColour)
  } else if (a.bag === "handbag") {
    const bx = side ? cx + dir * swing * 0.25 * w : cx + (view === "back" ? -1 : 1) * 0.36 * w
    Canvas.rect(c, bx - 0.09 * w, Y(0.5), bx + 0.09 * w, Y(0.62), a.bagColour)
  }

  // head, hair, hat
  const hr = 0.16 * w
  const hcx = cx + (side ? dir * 0.03 * w : 0)
  if (a.longHair && view !== "front")
    Canvas.rect(c, hcx - hr * (side ? 0.6 : 1), Y(0.08), hcx + hr * (side ? 0.6 : 1), Y(0.27), a.hair)
  if (a.longHair && view === "front") {
    Canvas.rect(c, hcx - hr * 1.1, Y(0.06), hcx - hr * 0.6, Y(0.24), a.hair)
    Canvas.rect(c, hcx + hr * 0.6, Y(0.06), hcx + hr * 1.1, Y(0.24), a.hair)
  }
  const hair = a.hair
  const skin = a.skin
  const headShade: Shade =
    view === "back"
      ? () => hair
      : side
        ? (u, v) => (v < 0.3 || (dir > 0 ? u < 0.4 : u > 0.6) ? hair : skin)
        : (_u, v) => (v < 0.3 ? hair : skin)
  Canvas.ellipse(c, hcx, Y(0.09), hr, 0.08 * h, headShade)
  if (a.hat !== undefined) Canvas.rect(c, hcx - hr * 1.15, Y(0.005), hcx + hr * 1.15, Y(0.05), a.hat)
}
