/**
 * The augmentations of ReID training, on float HWC images with values in [0, 1], each a pure function of the
 * image and a seeded {@link RandomStream}. Their order in {@link apply} is torchreid's: flip, pad + crop, colour
 * jitter, then random erasing; normalisation comes last (`Normalize.ts`).
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { Effect, Schema } from "effect"

/** A float image: `data.length === height * width * 3`, HWC, values in [0, 1]. */
export interface FloatImage {
  readonly height: number
  readonly width: number
  readonly data: Float32Array
}

const Probability = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))
const withDefault = (schema: typeof Schema.Number, v: number) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(v)), Schema.withConstructorDefault(Effect.succeed(v)))
const prob = (v: number) => withDefault(Probability, v)
const nonNeg = (v: number) => withDefault(NonNegative, v)
const int = (v: number) => withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), v)

/**
 * Random erasing (Zhong, Zheng, Kang, Li and Yang, "Random Erasing Data Augmentation", AAAI 2020): with
 * probability `p`, a rectangle of area `Se ~ U(sl, sh) * area` and aspect `re ~ U(r1, 1/r1)` (log-uniform
 * in torchvision; uniform here as in the paper) is filled with random values (`fill: "random"`, the
 * paper's choice), the dataset mean (`"mean"`, torchreid's) or zeros; up to 100 attempts to fit it.
 */
export class ErasingOptions extends Schema.Class<ErasingOptions>("@reidfx/data/Augment/Erasing")({
  p: prob(0.5),
  sl: prob(0.02),
  sh: prob(0.4),
  r1: withDefault(Schema.Number.check(Schema.isBetween({ minimum: 0.01, maximum: 1 })), 0.3),
  fill: Schema.Literals(["random", "mean", "zero"]).pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed("random" as const)),
    Schema.withConstructorDefault(Effect.succeed("random" as const))
  )
}) {}

/**
 * Colour jitter (torchvision's `ColorJitter`): brightness, contrast and saturation factors drawn from
 * `U(1 - x, 1 + x)`, a hue shift from `U(-hue, hue)` turns of the colour wheel, applied in a random order,
 * the whole jitter with probability `p`.
 */
export class ColourJitterOptions extends Schema.Class<ColourJitterOptions>("@reidfx/data/Augment/ColourJitter")({
  p: prob(0.5),
  brightness: nonNeg(0.2),
  contrast: nonNeg(0.15),
  saturation: nonNeg(0),
  hue: withDefault(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 0.5 })), 0)
}) {}

/** The training augmentations; defaults are torchreid's `random_flip`, `random_crop` (pad 10) and erasing. */
export class AugmentOptions extends Schema.Class<AugmentOptions>("@reidfx/data/Augment/Options")({
  /** Probability of a horizontal flip. */
  flip: prob(0.5),
  /** Zero padding before the random crop back to the input size (0: no crop). */
  pad: int(10),
  erasing: Schema.optionalKey(ErasingOptions),
  colourJitter: Schema.optionalKey(ColourJitterOptions)
}) {}

/** torchreid-like defaults: flip 0.5, pad 10 + random crop, random erasing p 0.5. */
export const standard = (): AugmentOptions => new AugmentOptions({ erasing: new ErasingOptions({}) })

/** Horizontal flip with probability `p` (in place). */
export const flip = (img: FloatImage, p: number, rng: RandomStream): void => {
  if (!rng.bernoulli(p)) return
  const { width: W, height: H, data } = img
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W >> 1; x++) {
      const a = (y * W + x) * 3
      const b = (y * W + (W - 1 - x)) * 3
      for (let c = 0; c < 3; c++) {
        const t = data[a + c]!
        data[a + c] = data[b + c]!
        data[b + c] = t
      }
    }
  }
}

/** Zero-pads by `pad` pixels on every side and crops a random window of the original size (in place). */
export const padCrop = (img: FloatImage, pad: number, rng: RandomStream): void => {
  if (pad <= 0) return
  const { width: W, height: H, data } = img
  const oy = rng.nextInt(2 * pad + 1) - pad
  const ox = rng.nextInt(2 * pad + 1) - pad
  if (oy === 0 && ox === 0) return
  const src = data.slice()
  data.fill(0)
  // destination columns [x0, x1) read source columns [x0 + ox, x1 + ox)
  const x0 = Math.max(0, -ox)
  const x1 = Math.min(W, W - ox)
  if (x1 <= x0) return
  for (let y = 0; y < H; y++) {
    const sy = y + oy
    if (sy < 0 || sy >= H) continue
    data.set(src.subarray((sy * W + x0 + ox) * 3, (sy * W + x1 + ox) * 3), (y * W + x0) * 3)
  }
}

/** ImageNet channel means (the "mean" fill of random erasing). */
export const imagenetMean: readonly [number, number, number] = [0.485, 0.456, 0.406]

/** Random erasing (in place); returns the erased rectangle [y, x, h, w] or undefined. */
export const erase = (
  img: FloatImage,
  o: ErasingOptions,
  rng: RandomStream
): readonly [number, number, number, number] | undefined => {
  if (!rng.bernoulli(o.p)) return undefined
  const { width: W, height: H, data } = img
  const area = H * W
  for (let attempt = 0; attempt < 100; attempt++) {
    const target = rng.uniform(o.sl, o.sh) * area
    const aspect = rng.uniform(o.r1, 1 / o.r1)
    const h = Math.round(Math.sqrt(target * aspect))
    const w = Math.round(Math.sqrt(target / aspect))
    if (h < 1 || w < 1 || h >= H || w >= W) continue
    const y0 = rng.nextInt(H - h + 1)
    const x0 = rng.nextInt(W - w + 1)
    const random = o.fill === "random"
    const fill = o.fill === "mean" ? imagenetMean : ([0, 0, 0] as const)
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const p = (y * W + x) * 3
        if (random) {
          data[p] = rng.nextFloat()
          data[p + 1] = rng.nextFloat()
          data[p + 2] = rng.nextFloat()
        } else {
          data[p] = fill[0]
          data[p + 1] = fill[1]
          data[p + 2] = fill[2]
        }
      }
    }
    return [y0, x0, h, w]
  }
  return undefined
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v)

/** Colour jitter (in place), torchvision semantics (hue by a rotation in YIQ space, an approximation of HSV hue). */
export const colourJitter = (img: FloatImage, o: ColourJitterOptions, rng: RandomStream): void => {
  if (!rng.bernoulli(o.p)) return
  const d = img.data
  const n = d.length / 3
  const factor = (x: number) => (x > 0 ? rng.uniform(Math.max(0, 1 - x), 1 + x) : 1)
  const ops = rng.shuffle([0, 1, 2, 3])
  for (const op of ops) {
    if (op === 0 && o.brightness > 0) {
      const f = factor(o.brightness)
      for (let i = 0; i < d.length; i++) d[i] = clamp01(d[i]! * f)
    } else if (op === 1 && o.contrast > 0) {
      const f = factor(o.contrast)
      let mean = 0
      for (let i = 0; i < n; i++) mean += 0.299 * d[3 * i]! + 0.587 * d[3 * i + 1]! + 0.114 * d[3 * i + 2]!
      mean /= n
      for (let i = 0; i < d.length; i++) d[i] = clamp01(mean + (d[i]! - mean) * f)
    } else if (op === 2 && o.saturation > 0) {
      const f = factor(o.saturation)
      for (let i = 0; i < n; i++) {
        const g = 0.299 * d[3 * i]! + 0.587 * d[3 * i + 1]! + 0.114 * d[3 * i + 2]!
        for (let c = 0; c < 3; c++) d[3 * i + c] = clamp01(g + (d[3 * i + c]! - g) * f)
      }
    } else if (op === 3 && o.hue > 0) {
      const angle = rng.uniform(-o.hue, o.hue) * 2 * Math.PI
      const cos = Math.cos(angle)
      const sin = Math.sin(angle)
      for (let i = 0; i < n; i++) {
        const r = d[3 * i]!
        const g = d[3 * i + 1]!
        const b = d[3 * i + 2]!
        const Y = 0.299 * r + 0.587 * g + 0.114 * b
        const I0 = 0.596 * r - 0.274 * g - 0.322 * b
        const Q0 = 0.211 * r - 0.523 * g + 0.312 * b
        const I = I0 * cos - Q0 * sin
        const Q = I0 * sin + Q0 * cos
        d[3 * i] = clamp01(Y + 0.956 * I + 0.621 * Q)
        d[3 * i + 1] = clamp01(Y - 0.272 * I - 0.647 * Q)
        d[3 * i + 2] = clamp01(Y - 1.106 * I + 1.703 * Q)
      }
    }
  }
}

/** All augmentations in torchreid's order (in place). */
export const apply = (img: FloatImage, o: AugmentOptions, rng: RandomStream): void => {
  flip(img, o.flip, rng)
  padCrop(img, o.pad, rng)
  if (o.colourJitter !== undefined) colourJitter(img, o.colourJitter, rng)
  if (o.erasing !== undefined) erase(img, o.erasing, rng)
}
