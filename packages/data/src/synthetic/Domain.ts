/**
 * Domains of the synthetic world: a whole rendering regime, as the datasets of the LReID benchmark (Pu et al.,
 * CVPR 2021) differ from each other in cameras, light, season, clothing, scenes and resolution. A domain is data:
 * the difficulty knobs (`Difficulty`: per-camera viewpoint, scale, illumination, cast, blur, noise, occlusion,
 * background clutter, look-alikes) plus the regime shared by all of its cameras:
 *
 * | field | what it changes | how |
 * |---|---|---|
 * | `palette` | the clothing (body colour for vehicles) appearance distribution | hue `h` -> `hue + spread * (h / 360 - 1/2)`; saturation x `saturation`; value x `brightness` |
 * | `scene` | the backgrounds and occluders of every camera | the same hue map, with the scene's own hue, spread and brightness |
 * | `light` | the global photometric response, after the cameras' own | `gain * (contrast * (x - 128) + 128)`, tint `t`: R x (1 + 0.25 t), B x (1 - 0.25 t); desaturation mixes with the luma (1: greyscale, like an infrared camera) |
 * | `resolution` | the sharpness of the sensor | the scene is drawn at `resolution` times the output size, then upsampled bilinearly |
 *
 * A colour is chromatic when its HSV saturation exceeds 0.12; only chromatic colours have their hue mapped
 * (greys keep theirs and only change brightness). Everything is deterministic: a domain adds no randomness of
 * its own.
 *
 * Presets are named after the datasets they imitate (loosely: the point is the shift between them, not a likeness).
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { RgbImage } from "../Image.ts"
import type { CameraModel } from "./Camera.ts"
import * as Canvas from "./Canvas.ts"
import type { Colour } from "./Canvas.ts"
import { Difficulty, presets as difficultyPresets } from "./Difficulty.ts"
import type { PersonAppearance } from "./Person.ts"
import type { VehicleAppearance } from "./Vehicle.ts"

const num = (value: number, range: { readonly minimum: number; readonly maximum: number }) =>
  Schema.Number.check(Schema.isBetween(range)).pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(value)),
    Schema.withConstructorDefault(Effect.succeed(value))
  )
const unit = (value: number) => num(value, { minimum: 0, maximum: 1 })
const positive = (value: number, maximum: number) => num(value, { minimum: 0.05, maximum })

/** A hue window and a saturation / brightness scale. */
export class Palette extends Schema.Class<Palette>("@reidfx/data/synthetic/Palette")({
  /** Centre of the hue window, degrees. */
  hue: num(180, { minimum: 0, maximum: 360 }),
  /** Width of the hue window, degrees (360: every hue). */
  spread: num(360, { minimum: 0, maximum: 360 }),
  saturation: positive(1, 2),
  brightness: positive(1, 2)
}) {}

/** The global photometric regime. */
export class Light extends Schema.Class<Light>("@reidfx/data/synthetic/Light")({
  gain: positive(1, 2),
  contrast: positive(1, 2),
  /** Colour temperature: +1 warm (red up, blue down), -1 cool. */
  tint: num(0, { minimum: -1, maximum: 1 }),
  /** 0: colour, 1: greyscale. */
  desaturation: unit(0)
}) {}

/** A domain of the synthetic world. */
export class Domain extends Schema.Class<Domain>("@reidfx/data/synthetic/Domain")({
  name: Schema.String.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed("default")),
    Schema.withConstructorDefault(Effect.succeed("default"))
  ),
  difficulty: Difficulty.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(difficultyPresets.medium)),
    Schema.withConstructorDefault(Effect.succeed(difficultyPresets.medium))
  ),
  palette: Palette.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(new Palette({}))),
    Schema.withConstructorDefault(Effect.succeed(new Palette({})))
  ),
  scene: Palette.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(new Palette({}))),
    Schema.withConstructorDefault(Effect.succeed(new Palette({})))
  ),
  light: Light.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(new Light({}))),
    Schema.withConstructorDefault(Effect.succeed(new Light({})))
  ),
  /** Fraction of the output size the scene is drawn at (then upsampled). */
  resolution: num(1, { minimum: 0.2, maximum: 1 })
}) {}

const knobs = (k: ConstructorParameters<typeof Difficulty>[0]) => new Difficulty({ ...difficultyPresets.medium, ...k })

/**
 * The presets. Training domains: `market` (a bright summer campus, saturated warm clothing), `cuhksysu`
 * (street snapshots: low resolution, every hue, mixed light), `duke` (a winter campus: dark, desaturated
 * blue-grey clothing, cool light, occlusion), `msmt` (indoor and outdoor cameras: strong illumination changes,
 * green-cyan clothing, high contrast), `cuhk03` (indoor, two cameras, blur, yellowish light). Held-out
 * domains (small, like LReID-Unseen): `viper` (two cameras, strong viewpoint change, low resolution), `prid`
 * (two cameras, strong colour cast), `grid` (a dark underground station: very low resolution, noise), `ilids`
 * (an airport hall: occlusion, clutter), `infrared` (greyscale night cameras). `source`: the broad domain of
 * the shared pretraining (every hue, medium difficulty), standing in for ImageNet.
 */
export const presets = {
  source: new Domain({ name: "source" }),
  market: new Domain({
    name: "market",
    difficulty: knobs({ illumination: 0.4, viewpoint: 0.5, occlusion: 0.15, similarity: 0.5 }),
    palette: new Palette({ hue: 20, spread: 150, saturation: 1.25, brightness: 1.1 }),
    scene: new Palette({ hue: 90, spread: 80, saturation: 0.8, brightness: 1.15 }),
    light: new Light({ gain: 1.1, contrast: 1.05, tint: 0.35 })
  }),
  cuhksysu: new Domain({
    name: "cuhksysu",
    difficulty: knobs({ illumination: 0.7, scale: 0.7, background: 0.8, similarity: 0.4 }),
    palette: new Palette({ hue: 300, spread: 160, saturation: 1.1 }),
    scene: new Palette({ hue: 30, spread: 200, saturation: 0.9, brightness: 0.9 }),
    light: new Light({ contrast: 0.9, tint: 0.1 }),
    resolution: 0.6
  }),
  duke: new Domain({
    name: "duke",
    difficulty: knobs({ occlusion: 0.45, viewpoint: 0.6, similarity: 0.55 }),
    palette: new Palette({ hue: 220, spread: 130, saturation: 0.75, brightness: 0.7 }),
    scene: new Palette({ hue: 200, spread: 60, saturation: 0.35, brightness: 1.25 }),
    light: new Light({ gain: 0.95, contrast: 0.9, tint: -0.45 })
  }),
  msmt: new Domain({
    name: "msmt",
    difficulty: knobs({ illumination: 0.9, colourCast: 0.7, viewpoint: 0.6, similarity: 0.6 }),
    palette: new Palette({ hue: 140, spread: 140, saturation: 1.2, brightness: 0.95 }),
    scene: new Palette({ hue: 260, spread: 120, saturation: 0.7, brightness: 0.8 }),
    light: new Light({ contrast: 1.3, tint: -0.15 })
  }),
  cuhk03: new Domain({
    name: "cuhk03",
    difficulty: knobs({ blur: 0.8, illumination: 0.3, viewpoint: 0.3 }),
    palette: new Palette({ hue: 60, spread: 120, saturation: 0.9 }),
    scene: new Palette({ hue: 45, spread: 40, saturation: 0.5, brightness: 1.1 }),
    light: new Light({ gain: 1.05, tint: 0.6 })
  }),
  viper: new Domain({
    name: "viper",
    difficulty: knobs({ viewpoint: 0.9, illumination: 0.6, similarity: 0.5 }),
    palette: new Palette({ hue: 0, spread: 200 }),
    scene: new Palette({ hue: 100, spread: 120, brightness: 1.1 }),
    resolution: 0.5
  }),
  prid: new Domain({
    name: "prid",
    difficulty: knobs({ colourCast: 1, illumination: 0.7 }),
    palette: new Palette({ hue: 250, spread: 220 }),
    scene: new Palette({ hue: 120, spread: 60, saturation: 0.6 }),
    light: new Light({ tint: 0.3, contrast: 1.15 })
  }),
  grid: new Domain({
    name: "grid",
    difficulty: knobs({ noise: 0.9, illumination: 0.8, scale: 0.8 }),
    palette: new Palette({ hue: 180, spread: 360, saturation: 0.8, brightness: 0.8 }),
    scene: new Palette({ hue: 30, spread: 40, saturation: 0.3, brightness: 0.7 }),
    light: new Light({ gain: 0.8, contrast: 0.85, tint: 0.2 }),
    resolution: 0.4
  }),
  ilids: new Domain({
    name: "ilids",
    difficulty: knobs({ occlusion: 0.7, background: 0.9, scale: 0.6 }),
    palette: new Palette({ hue: 330, spread: 260, saturation: 0.9 }),
    scene: new Palette({ hue: 210, spread: 80, saturation: 0.5, brightness: 1.2 }),
    light: new Light({ tint: -0.1 })
  }),
  infrared: new Domain({
    name: "infrared",
    difficulty: knobs({ noise: 0.6, illumination: 0.6 }),
    light: new Light({ desaturation: 1, contrast: 1.2 }),
    resolution: 0.7
  })
} as const

/** The name of a domain preset (see {@link presets}). */
export type PresetName = keyof typeof presets
/** Every domain preset name, in declaration order. */
export const presetNames = Object.keys(presets) as ReadonlyArray<PresetName>

/** A domain as written in a protocol: a preset's name, or free parameters over a preset (default `source`). */
export const DomainInput = Schema.Union([
  Schema.Literals(presetNames as [PresetName, ...Array<PresetName>]),
  Schema.Struct({
    preset: Schema.optionalKey(Schema.Literals(presetNames as [PresetName, ...Array<PresetName>])),
    name: Schema.optionalKey(Schema.String),
    difficulty: Schema.optionalKey(
      Schema.Struct(
        Object.fromEntries(Object.keys(Difficulty.fields).map((k) => [k, Schema.optionalKey(Schema.Number)]))
      )
    ),
    palette: Schema.optionalKey(
      Schema.Struct({
        hue: Schema.optionalKey(Schema.Number),
        spread: Schema.optionalKey(Schema.Number),
        saturation: Schema.optionalKey(Schema.Number),
        brightness: Schema.optionalKey(Schema.Number)
      })
    ),
    scene: Schema.optionalKey(
      Schema.Struct({
        hue: Schema.optionalKey(Schema.Number),
        spread: Schema.optionalKey(Schema.Number),
        saturation: Schema.optionalKey(Schema.Number),
        brightness: Schema.optionalKey(Schema.Number)
      })
    ),
    light: Schema.optionalKey(
      Schema.Struct({
        gain: Schema.optionalKey(Schema.Number),
        contrast: Schema.optionalKey(Schema.Number),
        tint: Schema.optionalKey(Schema.Number),
        desaturation: Schema.optionalKey(Schema.Number)
      })
    ),
    resolution: Schema.optionalKey(Schema.Number)
  })
])
export type DomainInput = typeof DomainInput.Type

/**
 * The domain a {@link DomainInput} describes: the preset, with the given fields replacing its own (checked by
 * the {@link Domain} schema: a value out of range throws a `SchemaError` naming it).
 */
export const resolve = (input: DomainInput): Domain => {
  if (typeof input === "string") return presets[input]
  const base = presets[input.preset ?? "source"]
  return Schema.decodeUnknownSync(Domain)({
    name: input.name ?? (input.preset === undefined ? "custom" : `${input.preset}*`),
    difficulty: { ...base.difficulty, ...input.difficulty },
    palette: { ...base.palette, ...input.palette },
    scene: { ...base.scene, ...input.scene },
    light: { ...base.light, ...input.light },
    resolution: input.resolution ?? base.resolution
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Colour maps
// ---------------------------------------------------------------------------------------------------------------

/** RGB (0..255) to HSV (h in degrees, s and v in 0..1). @category math */
export const toHsv = (c: Colour): readonly [number, number, number] => {
  const r = c[0] / 255
  const g = c[1] / 255
  const b = c[2] / 255
  const max = Math.max(r, g, b)
  const min = Math.min(r, g, b)
  const d = max - min
  let h = 0
  if (d > 0) {
    if (max === r) h = 60 * (((g - b) / d) % 6)
    else if (max === g) h = 60 * ((b - r) / d + 2)
    else h = 60 * ((r - g) / d + 4)
  }
  return [(h + 360) % 360, max === 0 ? 0 : d / max, max]
}

/** Maps a colour into a palette (see the module doc). @category math */
export const mapColour = (c: Colour, p: Palette): Colour => {
  const [h, s, v] = toHsv(c)
  const value = Math.min(1, v * p.brightness)
  if (s <= 0.12) return Canvas.hsv(h, s, value)
  const hue = p.hue + p.spread * (h / 360 - 0.5)
  return Canvas.hsv(hue, Math.min(1, s * p.saturation), value)
}

/** A person's clothing (and bag, hat, shoes) in the domain's palette; skin and hair are left alone. */
export const dressPerson = (a: PersonAppearance, d: Domain): PersonAppearance => {
  const m = (c: Colour) => mapColour(c, d.palette)
  return {
    ...a,
    hat: a.hat === undefined ? undefined : m(a.hat),
    top: m(a.top),
    topSecond: m(a.topSecond),
    bottom: m(a.bottom),
    shoes: m(a.shoes),
    bagColour: m(a.bagColour)
  }
}

/** A vehicle's paint in the domain's palette. */
export const paintVehicle = (a: VehicleAppearance, d: Domain): VehicleAppearance => ({
  ...a,
  body: mapColour(a.body, d.palette),
  stripe: a.stripe === undefined ? undefined : mapColour(a.stripe, d.palette)
})

/** A camera's backgrounds and occluders in the domain's scene palette. */
export const stageCamera = (cam: CameraModel, d: Domain): CameraModel => {
  const m = (c: Colour) => mapColour(c, d.scene)
  const bg = cam.background
  return {
    ...cam,
    background: {
      ...bg,
      upper: m(bg.upper),
      lower: m(bg.lower),
      accent: m(bg.accent),
      blobs: bg.blobs.map(([x, y, w, h, c]) => [x, y, w, h, m(c)] as const)
    },
    occluders: cam.occluders.map(m)
  }
}

/** Whether the domain's global light changes pixels at all. */
const lightIsIdentity = (l: Light) => l.gain === 1 && l.contrast === 1 && l.tint === 0 && l.desaturation === 0

/** The domain's global light applied to a rendered image (a new image). @category math */
export const applyLight = (img: RgbImage, l: Light): RgbImage => {
  if (lightIsIdentity(l)) return img
  const out = new Uint8Array(img.data.length)
  const d = img.data
  const kr = l.gain * (1 + 0.25 * l.tint)
  const kb = l.gain * (1 - 0.25 * l.tint)
  const kg = l.gain
  const c = l.contrast
  const s = 1 - l.desaturation
  const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x)
  for (let i = 0; i < d.length; i += 3) {
    let r = (c * (d[i]! - 128) + 128) * kr
    let g = (c * (d[i + 1]! - 128) + 128) * kg
    let b = (c * (d[i + 2]! - 128) + 128) * kb
    if (s < 1) {
      const y = 0.299 * r + 0.587 * g + 0.114 * b
      r = y + s * (r - y)
      g = y + s * (g - y)
      b = y + s * (b - y)
    }
    out[i] = clamp(r)
    out[i + 1] = clamp(g)
    out[i + 2] = clamp(b)
  }
  return { height: img.height, width: img.width, data: out }
}

/** The size a domain draws the scene at, for an output of `height` x `width`. */
export const drawSize = (
  d: Domain,
  height: number,
  width: number
): { readonly height: number; readonly width: number } => ({
  height: Math.max(8, Math.round(height * d.resolution)),
  width: Math.max(4, Math.round(width * d.resolution))
})
