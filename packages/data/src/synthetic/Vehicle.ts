/**
 * Procedural vehicles: an identity is a body type (profile), a body colour, window tint, rims, an optional
 * roof rack and decal stripe; drawn from the front, the rear or a side.
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import * as Canvas from "./Canvas.ts"
import type { Colour } from "./Canvas.ts"
import type { View } from "./Camera.ts"
import type { Placement } from "./Person.ts"

export type BodyType = "sedan" | "hatchback" | "suv" | "van" | "pickup" | "bus"
const bodyTypes: ReadonlyArray<BodyType> = ["sedan", "suv", "hatchback", "van", "pickup", "bus"]

/** Side profile of a body type: cabin span along the length, height of the body, overall height/length. */
const profiles: Record<BodyType, { cabin: readonly [number, number]; body: number; aspect: number; front: number }> = {
  sedan: { cabin: [0.28, 0.72], body: 0.5, aspect: 0.36, front: 0.72 },
  hatchback: { cabin: [0.3, 0.9], body: 0.5, aspect: 0.42, front: 0.78 },
  suv: { cabin: [0.22, 0.92], body: 0.55, aspect: 0.48, front: 0.85 },
  van: { cabin: [0.12, 0.97], body: 0.45, aspect: 0.55, front: 0.95 },
  pickup: { cabin: [0.25, 0.55], body: 0.55, aspect: 0.45, front: 0.85 },
  bus: { cabin: [0.03, 0.97], body: 0.35, aspect: 0.42, front: 1.05 }
}

export interface VehicleAppearance {
  readonly type: BodyType
  readonly body: Colour
  readonly window: Colour
  readonly rim: Colour
  readonly roofRack: boolean
  readonly stripe: Colour | undefined
  readonly lights: Colour
}

/** Car colours, weighted roughly as on real roads (white, black, silver, grey first); fewer with `similarity`. */
const bodyColours: ReadonlyArray<Colour> = [
  [235, 235, 235],
  [25, 25, 28],
  [180, 182, 186],
  [110, 112, 116],
  [170, 30, 30],
  [30, 60, 150],
  [40, 110, 60],
  [220, 190, 60],
  [200, 110, 40],
  [120, 30, 80],
  [90, 150, 200],
  [150, 120, 80]
]

/** A vehicle identity from its own random stream. */
export const appearance = (rng: RandomStream, similarity: number): VehicleAppearance => {
  const nColours = Math.max(4, Math.round(12 - 8 * similarity))
  const nTypes = Math.max(2, Math.round(6 - 4 * similarity))
  const base = bodyColours[Math.min(rng.nextInt(nColours), rng.nextInt(nColours))]!
  return {
    type: bodyTypes[rng.nextInt(nTypes)]!,
    body: Canvas.shade(base, rng.uniform(0.9, 1.1)),
    window: rng.pick<Colour>([
      [40, 50, 60],
      [70, 90, 110],
      [20, 22, 25]
    ]),
    rim: rng.pick<Colour>([
      [200, 200, 205],
      [40, 40, 40],
      [150, 130, 60]
    ]),
    roofRack: rng.bernoulli(0.2),
    stripe: rng.bernoulli(0.2) ? Canvas.hsv(rng.uniform(0, 360), 0.7, 0.8) : undefined,
    lights: rng.pick<Colour>([
      [255, 250, 220],
      [230, 240, 255]
    ])
  }
}

/** The height / width ratio of the vehicle's box in a view. */
export const aspect = (a: VehicleAppearance, view: View): number =>
  view === "left" || view === "right" ? profiles[a.type].aspect : profiles[a.type].front

const tyre: Colour = [22, 22, 22]

/** Draws a vehicle; `place.height` is the box height, the width follows from the body type and view. */
export const draw = (
  c: Canvas.Canvas,
  a: VehicleAppearance,
  view: View,
  place: Placement,
  wheelPhase: number
): void => {
  const p = profiles[a.type]
  const h = place.height
  const w = h / aspect(a, view)
  const left = place.cx - w / 2
  const top = place.top
  const Y = (v: number) => top + v * h
  const dark = Canvas.shade(a.body, 0.7)
  if (view === "left" || view === "right") {
    const X = (u: number) => (view === "right" ? left + u * w : left + (1 - u) * w)
    const span = (u0: number, u1: number): readonly [number, number] => [Math.min(X(u0), X(u1)), Math.max(X(u0), X(u1))]
    const bodyTop = 1 - p.body - 0.12
    const [b0, b1] = span(0, 1)
    Canvas.rect(c, b0, Y(bodyTop), b1, Y(0.88), a.body)
    const [c0, c1] = span(p.cabin[0], p.cabin[1])
    const slant = 0.08 * w
    const frontIsLeft = view === "left"
    Canvas.trapezoid(
      c,
      Y(0.02),
      Y(bodyTop),
      c0 + (frontIsLeft ? slant : 0.02 * w),
      c1 - (frontIsLeft ? 0.02 * w : slant),
      c0,
      c1,
      a.body
    )
    Canvas.trapezoid(
      c,
      Y(0.08),
      Y(bodyTop - 0.02),
      c0 + (frontIsLeft ? slant : 0.02 * w) + 0.04 * w,
      c1 - (frontIsLeft ? 0.02 * w : slant) - 0.04 * w,
      c0 + 0.05 * w,
      c1 - 0.05 * w,
      a.window
    )
    if (a.type === "bus")
      for (let u = 0.1; u < 0.95; u += 0.14)
        Canvas.rect(c, X(u) - 0.01 * w, Y(0.08), X(u) + 0.01 * w, Y(bodyTop), a.body)
    else Canvas.rect(c, (c0 + c1) / 2 - 0.015 * w, Y(0.06), (c0 + c1) / 2 + 0.015 * w, Y(bodyTop), a.body)
    if (a.type === "pickup") {
      const [d0, d1] = span(p.cabin[1] + 0.02, 0.98)
      Canvas.rect(c, d0, Y(bodyTop), d1, Y(bodyTop + 0.06), dark)
    }
    if (a.stripe !== undefined) Canvas.rect(c, b0, Y(bodyTop + 0.18), b1, Y(bodyTop + 0.25), a.stripe)
    if (a.roofRack) Canvas.rect(c, c0 + 0.1 * w, Y(-0.03), c1 - 0.1 * w, Y(0.01), [60, 60, 60])
    const [l0, l1] = span(0, 0.04)
    Canvas.rect(c, l0, Y(bodyTop + 0.05), l1, Y(bodyTop + 0.14), a.lights)
    const [r0, r1] = span(0.97, 1)
    Canvas.rect(c, r0, Y(bodyTop + 0.05), r1, Y(bodyTop + 0.14), [200, 30, 30])
    for (const u of [0.2, 0.8]) {
      const r = 0.13 * h
      Canvas.ellipse(c, X(u), Y(0.86), r, r, tyre)
      const spoke = wheelPhase % (Math.PI / 2)
      Canvas.ellipse(c, X(u) + Math.cos(spoke) * r * 0.1, Y(0.86), r * 0.5, r * 0.5, a.rim)
    }
    return
  }
  // front or rear
  const X = (u: number) => left + u * w
  const front = view === "front"
  Canvas.rect(c, X(0.02), Y(0.5), X(0.98), Y(0.9), a.body)
  Canvas.trapezoid(c, Y(0.08), Y(0.5), X(0.16), X(0.84), X(0.04), X(0.96), a.body)
  Canvas.trapezoid(c, Y(front ? 0.12 : 0.16), Y(front ? 0.46 : 0.4), X(0.2), X(0.8), X(0.1), X(0.9), a.window)
  if (a.roofRack) Canvas.rect(c, X(0.2), Y(0.03), X(0.8), Y(0.08), [60, 60, 60])
  if (a.stripe !== undefined) Canvas.rect(c, X(0.45), Y(0.5), X(0.55), Y(0.9), a.stripe)
  const lamp: Colour = front ? a.lights : [200, 30, 30]
  Canvas.rect(c, X(0.05), Y(0.55), X(0.22), Y(0.64), lamp)
  Canvas.rect(c, X(0.78), Y(0.55), X(0.95), Y(0.64), lamp)
  if (front) Canvas.rect(c, X(0.28), Y(0.56), X(0.72), Y(0.68), dark)
  Canvas.rect(c, X(0.38), Y(0.72), X(0.62), Y(0.8), [230, 230, 210])
  Canvas.rect(c, X(0.04), Y(0.88), X(0.18), Y(1), tyre)
  Canvas.rect(c, X(0.82), Y(0.88), X(0.96), Y(1), tyre)
  Canvas.rect(c, X(-0.04), Y(0.4), X(0.03), Y(0.47), a.body)
  Canvas.rect(c, X(0.97), Y(0.4), X(1.04), Y(0.47), a.body)
}
