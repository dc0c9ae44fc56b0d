/**
 * The difficulty knobs of the synthetic ReID world. Each is in [0, 1]; 0 switches the effect off.
 *
 * | knob | what it controls | per camera (cross-camera gap) | per image |
 * |---|---|---|---|
 * | `illumination` | brightness gain | gain 1 + k·U(-0.45, 0.35) | flicker ± 0.08·k |
 * | `colourCast` | white-balance error | R, B gains 1 ± 0.3·k, G 1 ± 0.2·k | |
 * | `viewpoint` | how often an image shows another side (front / back / left / right) than the camera's habit | a habit per camera (all "front" at 0) | another view with probability 0.8·k |
 * | `scale` | size of the object in the frame | height 1 - k·U(0, 0.35) of the frame | ± 10%·k |
 * | `blur` | defocus | box radius k·U(0, 2.5) px per 64 px of width | |
 * | `noise` | sensor noise | σ = k·U(3, 14) (0..255 units) | drawn per image |
 * | `occlusion` | probability of an occluder (pole, low obstacle, another object) | occluder colours | probability k, 15-45% of the box |
 * | `background` | clutter of the background (textures, objects) and how much it differs between cameras | texture and palette | offset jitter |
 * | `similarity` | look-alike identities: the palette, the pattern set and the vehicle types shrink as it grows | | |
 * | `pose` | position jitter and gait phase (people) | | ± 8%·k horizontally, ± 4%·k vertically |
 *
 * Everything that is per camera is shared by all images of that camera, so same-camera matching is easier than
 * cross-camera matching (as in real ReID data).
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

const Knob = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const knob = (value: number) =>
  Knob.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(value)),
    Schema.withConstructorDefault(Effect.succeed(value))
  )

/** The knobs; defaults are the `medium` preset. */
export class Difficulty extends Schema.Class<Difficulty>("@reidfx/data/synthetic/Difficulty")({
  illumination: knob(0.5),
  colourCast: knob(0.5),
  viewpoint: knob(0.5),
  scale: knob(0.5),
  blur: knob(0.4),
  noise: knob(0.4),
  occlusion: knob(0.25),
  background: knob(0.5),
  similarity: knob(0.5),
  pose: knob(0.5)
}) {}

/** Named presets. */
export const presets = {
  /** Almost the same picture in every camera: a sanity check (near-perfect retrieval expected). */
  trivial: new Difficulty({
    illumination: 0,
    colourCast: 0,
    viewpoint: 0,
    scale: 0,
    blur: 0,
    noise: 0,
    occlusion: 0,
    background: 0,
    similarity: 0,
    pose: 0
  }),
  easy: new Difficulty({
    illumination: 0.25,
    colourCast: 0.25,
    viewpoint: 0.25,
    scale: 0.25,
    blur: 0.2,
    noise: 0.2,
    occlusion: 0.1,
    background: 0.25,
    similarity: 0.25,
    pose: 0.3
  }),
  medium: new Difficulty({}),
  hard: new Difficulty({
    illumination: 0.8,
    colourCast: 0.8,
    viewpoint: 0.8,
    scale: 0.7,
    blur: 0.7,
    noise: 0.7,
    occlusion: 0.45,
    background: 0.8,
    similarity: 0.8,
    pose: 0.8
  })
} as const

/** The names of the difficulty presets. */
export type PresetName = keyof typeof presets
