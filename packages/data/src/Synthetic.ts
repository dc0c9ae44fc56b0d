/**
 * The synthetic ReID world: the built-in dataset of reidfx (default data of the demos, examples and tests).
 *
 * Procedural identities (people or vehicles) are seen by several cameras that differ in viewpoint habit, scale,
 * illumination, colour cast, blur, noise, occlusion and background (see `synthetic/Difficulty.ts` for the knobs).
 * Images are rendered on demand into RGB buffers, so any item can be rendered alone: every identity, camera,
 * image and tracklet has its own random stream derived from `(seed, name)`, which makes the world random-access
 * and independent of rendering order.
 *
 * Splits follow Market-1501 / MARS: identities `1..trainIdentities` are the train split, the others the test
 * split. For a test identity, the first image (or tracklet) of each of its cameras is a query and the remaining
 * ones are the gallery; with a single image (tracklet) per camera, only the identity's first camera gives a
 * query, so every query has cross-camera matches in the gallery.
 * @since 0.1.0
 */
import { InvalidOption, RandomStream } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import type { Dataset } from "./Dataset.ts"
import * as Image from "./Image.ts"
import type { RgbImage } from "./Image.ts"
import type { Item } from "./Item.ts"
import * as Camera from "./synthetic/Camera.ts"
import * as Canvas from "./synthetic/Canvas.ts"
import { Difficulty, type PresetName, presets } from "./synthetic/Difficulty.ts"
import * as Annotations from "./synthetic/Annotations.ts"
import * as Domain from "./synthetic/Domain.ts"
import * as Person from "./synthetic/Person.ts"
import * as Vehicle from "./synthetic/Vehicle.ts"
import * as WorldFields from "./synthetic/WorldFields.ts"

export { Difficulty, Domain, presets, WorldFields }
export type { PresetName }

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const withDefault = (schema: typeof Schema.Int, value: number) =>
  schema.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(value)),
    Schema.withConstructorDefault(Effect.succeed(value))
  )

/** Video mode: `perCamera` tracklets per (identity, camera), each of `minFrames..frames` frames. */
export const TrackletOptions = Schema.Struct({
  perCamera: withDefault(PositiveInt, 2),
  frames: withDefault(PositiveInt, 8),
  minFrames: Schema.optionalKey(PositiveInt)
})
export type TrackletOptions = typeof TrackletOptions.Type

/** Options of the synthetic world (all have defaults). */
export class SyntheticOptions extends Schema.Class<SyntheticOptions>("@reidfx/data/Synthetic/Options")({
  /** `person` (pedestrians) or `vehicle`. */
  kind: Schema.Literals(["person", "vehicle"]).pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed("person" as const)),
    Schema.withConstructorDefault(Effect.succeed("person" as const))
  ),
  seed: withDefault(Schema.Int, 0),
  /** Total identities (train + test). */
  identities: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(2)), 100),
  /** Identities of the train split (default: half, rounded down). */
  trainIdentities: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  cameras: withDefault(Schema.Int.check(Schema.isBetween({ minimum: 2, maximum: WorldFields.maxCameras })), 4),
  /** Cameras that see each identity (default: min(cameras, 3)); drawn per identity. */
  camerasPerIdentity: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(2))),
  /** Images per (identity, camera) in image mode. */
  imagesPerCamera: withDefault(PositiveInt, 4),
  /** Set for a video dataset (tracklets of frames with motion). */
  tracklets: Schema.optionalKey(TrackletOptions),
  height: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(8)), 128),
  width: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(8)), 64),
  difficulty: Difficulty.pipe(
    Schema.withDecodingDefaultTypeKey(Effect.succeed(presets.medium)),
    Schema.withConstructorDefault(Effect.succeed(presets.medium))
  ),
  /**
   * The domain (see `synthetic/Domain.ts`): palette, scenes, light and resolution shared by every camera. When
   * set, its difficulty replaces `difficulty`. Absent: the plain world (no palette, light or resolution map).
   */
  domain: Schema.optionalKey(Domain.Domain)
}) {}

/** The decoded input of {@link SyntheticOptions} (every key optional). */
export type SyntheticInput = typeof SyntheticOptions.Encoded

/** A rendered shot: image `index` of (identity, camera), or frame `frame` of tracklet `tracklet`. */
export type Shot =
  | { readonly _tag: "Image"; readonly id: number; readonly cam: number; readonly index: number }
  | {
      readonly _tag: "Frame"
      readonly id: number
      readonly cam: number
      readonly tracklet: number
      readonly frame: number
    }

/** A built synthetic world: its options, the dataset index, and the appearance models its images are drawn from. */
export interface SyntheticWorld {
  readonly options: SyntheticOptions
  /** The dataset index; items are rendered on demand at the world's size (or any size given to `render`). */
  readonly dataset: Dataset
  /** The model of camera `cam` (0-based) the world's images of that camera are rendered with. */
  readonly camera: (cam: number) => Camera.CameraModel
  /** The appearance of person identity `id`. */
  readonly person: (id: number) => Person.PersonAppearance
  /** The appearance of vehicle identity `id`. */
  readonly vehicle: (id: number) => Vehicle.VehicleAppearance
  /** The cameras (0-based, sorted) that see identity `id`. */
  readonly camerasOf: (id: number) => ReadonlyArray<number>
  /** Renders one shot. */
  readonly render: (shot: Shot, height?: number, width?: number) => RgbImage
  /** What a real dataset's annotation gives for one shot (see {@link ShotAnnotation}), at the size of `render`. */
  readonly annotate: (shot: Shot, height?: number, width?: number) => ShotAnnotation
  /** The shot an item of {@link SyntheticWorld.dataset} renders, by its source key (`undefined` for other keys). */
  readonly shotOf: (key: string) => Shot | undefined
}

/**
 * The annotation of a rendered shot, in the pixels of the image `render` returns at the same size:
 *
 * - `box`: the object's box `[x, y, w, h]` (COCO's `bbox`), the extent of its drawn pixels clipped to the image
 *   (an occluder painted over the object does not shrink it, as an amodal box);
 * - `keypoints` (persons; `undefined` for vehicles): the 17 COCO keypoints `[x, y, v]` of the drawn figure
 *   (`SyntheticAnnotations.keypoints` with the shot's view, placement and gait phase): v = 2 visible; v = 1
 *   labelled but hidden by the body itself (far side in a side view, the face seen from the back); v = 0 with
 *   x = y = 0 (COCO's "not labelled") when the point lies under the shot's occluder or outside the image;
 * - `view`, `phase` (gait phase, radians), `occluded` (an occluder was painted).
 */
export interface ShotAnnotation {
  readonly view: Camera.View
  readonly phase: number
  readonly box: readonly [number, number, number, number]
  readonly occluded: boolean
  readonly keypoints: ReadonlyArray<readonly [number, number, number]> | undefined
}

const memo = <A>(f: (k: number) => A): ((k: number) => A) => {
  const cache = new Map<number, A>()
  return (k) => {
    let v = cache.get(k)
    if (v === undefined) cache.set(k, (v = f(k)))
    return v
  }
}

/** Shared names for file export: Market-1501 and MARS style keys. */
const pad = (n: number, w: number) => String(n).padStart(w, "0")

/** Builds the world from decoded options. */
export const fromOptions = (options: SyntheticOptions): SyntheticWorld => {
  const { seed, kind } = options
  const domain = options.domain
  const d = domain?.difficulty ?? options.difficulty
  const name = `synthetic-${kind}`
  const camerasPerIdentity = Math.min(options.cameras, options.camerasPerIdentity ?? Math.min(options.cameras, 3))
  const trainIdentities = options.trainIdentities ?? Math.floor(options.identities / 2)
  const camera = memo((c) => {
    const cam = Camera.make(seed, name, c, d)
    return domain === undefined ? cam : Domain.stageCamera(cam, domain)
  })
  const person = memo((id) => {
    const a = Person.appearance(RandomStream.fromSeed(seed, `${name}/identity/${id}`), d.similarity)
    return domain === undefined ? a : Domain.dressPerson(a, domain)
  })
  const vehicle = memo((id) => {
    const a = Vehicle.appearance(RandomStream.fromSeed(seed, `${name}/identity/${id}`), d.similarity)
    return domain === undefined ? a : Domain.paintVehicle(a, domain)
  })
  const camerasOf = memo((id) => {
    const all = Array.from({ length: options.cameras }, (_, c) => c)
    return RandomStream.fromSeed(seed, `${name}/cameras/${id}`).sample(all, camerasPerIdentity)
  })

  /** Where and how a shot's object is drawn: everything `render` paints from, on the draw canvas. */
  const stage = (shot: Shot, outHeight: number, outWidth: number) => {
    const { height, width } =
      domain === undefined ? { height: outHeight, width: outWidth } : Domain.drawSize(domain, outHeight, outWidth)
    const cam = camera(shot.cam)
    const rng =
      shot._tag === "Image"
        ? RandomStream.fromSeed(seed, `${name}/image/${shot.id}/${shot.cam}/${shot.index}`)
        : RandomStream.fromSeed(seed, `${name}/frame/${shot.tracklet}/${shot.frame}`)
    const track = shot._tag === "Frame" ? RandomStream.fromSeed(seed, `${name}/tracklet/${shot.tracklet}`) : undefined
    const motion = track ?? rng
    const view = motion.bernoulli(cam.otherViews) ? motion.pick(Camera.views) : cam.mainView
    const side = view === "left" || view === "right"
    const t = shot._tag === "Frame" ? shot.frame : 0
    const scaleJitter = 1 + d.scale * 0.1 * motion.uniform(-1, 1)
    const phase0 = d.pose > 0 ? motion.uniform(0, 2 * Math.PI) : 0
    const offset0 = motion.nextFloat() * d.background
    const speed = side ? (view === "left" ? -0.04 : 0.04) : 0.006
    const occluded = motion.bernoulli(d.occlusion)
    const occluderSeed = motion.nextUint32()
    // per-shot jitter (each frame of a tracklet differs a little: detector jitter)
    const dx = d.pose * 0.08 * rng.uniform(-1, 1)
    const dy = d.pose * 0.04 * rng.uniform(-1, 1)
    const flicker = 1 + d.illumination * 0.08 * rng.uniform(-1, 1)
    const approach = side ? 1 : 1 + 0.01 * t * (view === "front" ? 1 : -1)
    const scale = Math.min(1, cam.scale * scaleJitter * approach)
    const phase = phase0 + (shot._tag === "Frame" ? 0.8 * t : 0)
    let place: Person.Placement
    let box: { left: number; top: number; width: number; height: number }
    if (kind === "person") {
      const h = height * 0.92 * scale
      place = { cx: width / 2 + dx * width, top: height * 0.96 - h + dy * height, height: h }
      box = { left: place.cx - 0.2 * h, top: place.top, width: 0.4 * h, height: h }
    } else {
      const aspect = Vehicle.aspect(vehicle(shot.id), view)
      let w = width * 0.92 * scale
      let h = w * aspect
      if (h > height * 0.9) {
        h = height * 0.9
        w = h / aspect
      }
      place = { cx: width / 2 + dx * width, top: height * 0.94 - h + dy * height, height: h }
      box = { left: place.cx - w / 2, top: place.top, width: w, height: h }
    }
    const occluders = occluded
      ? Camera.occluderRects(height, width, cam, box, RandomStream.fromSeed(occluderSeed, "occluder"))
      : []
    return { height, width, cam, rng, view, phase, place, occluders, background: offset0 + speed * t, flicker }
  }

  /** Draws the shot's object alone (persons by `Person.draw`, vehicles by `Vehicle.draw`). */
  const drawObject = (c: Canvas.Canvas, shot: Shot, s: ReturnType<typeof stage>) =>
    kind === "person"
      ? Person.draw(c, person(shot.id), s.view, s.place, s.phase)
      : Vehicle.draw(c, vehicle(shot.id), s.view, s.place, s.phase)

  const render = (shot: Shot, outHeight = options.height, outWidth = options.width): RgbImage => {
    const s = stage(shot, outHeight, outWidth)
    const c = Canvas.make(s.height, s.width)
    Camera.drawBackground(c, s.cam, s.background, d.background)
    drawObject(c, shot, s)
    for (const r of s.occluders) Canvas.rect(c, r.x0, r.y0, r.x1, r.y1, r.colour)
    Canvas.boxBlur(c, (s.cam.blur * s.width) / 64)
    const image = Canvas.develop(c, s.cam.gain * s.flicker, s.cam.cast, s.cam.noise, s.rng)
    return domain === undefined ? image : Domain.applyLight(Image.resize(image, outHeight, outWidth), domain.light)
  }

  const annotate = (shot: Shot, outHeight = options.height, outWidth = options.width): ShotAnnotation => {
    const s = stage(shot, outHeight, outWidth)
    // the object's drawn pixels: painted over a canvas of NaN
    const c = Canvas.make(s.height, s.width)
    c.data.fill(Number.NaN)
    drawObject(c, shot, s)
    let [x0, y0, x1, y1] = [s.width, s.height, 0, 0]
    for (let y = 0; y < s.height; y++)
      for (let x = 0; x < s.width; x++)
        if (!Number.isNaN(c.data[(y * s.width + x) * 3]!)) {
          x0 = Math.min(x0, x)
          x1 = Math.max(x1, x + 1)
          y0 = Math.min(y0, y)
          y1 = Math.max(y1, y + 1)
        }
    const kx = outWidth / s.width
    const ky = outHeight / s.height
    const box: readonly [number, number, number, number] =
      x1 > x0 ? [x0 * kx, y0 * ky, (x1 - x0) * kx, (y1 - y0) * ky] : [0, 0, 0, 0]
    const keypoints =
      kind === "person"
        ? Annotations.keypoints(person(shot.id), s.view, s.place, s.phase).map(
            ([x, y, v]): readonly [number, number, number] => {
              const [px, py] = [Math.floor(x), Math.floor(y)]
              const inside = px >= 0 && py >= 0 && px < s.width && py < s.height
              return !inside || s.occluders.some((r) => Camera.covers(r, px, py)) ? [0, 0, 0] : [x * kx, y * ky, v]
            }
          )
        : undefined
    return { view: s.view, phase: s.phase, box, occluded: s.occluders.length > 0, keypoints }
  }

  const train: Array<Item> = []
  const query: Array<Item> = []
  const gallery: Array<Item> = []
  const shots = new Map<string, Shot>()
  const rendered = (key: string, shot: Shot) => {
    shots.set(key, shot)
    return { _tag: "Rendered" as const, key, render: (h: number, w: number) => render(shot, h, w) }
  }
  let tracklet = 0
  for (let id = 1; id <= options.identities; id++) {
    const isTrain = id <= trainIdentities
    const cams = camerasOf(id)
    cams.forEach((cam, camIndex) => {
      if (options.tracklets === undefined) {
        const n = options.imagesPerCamera
        for (let j = 0; j < n; j++) {
          const item: Item = {
            source: rendered(`${pad(id, 4)}_c${cam + 1}s1_${pad(j, 6)}_00`, { _tag: "Image", id, cam, index: j }),
            id,
            cam
          }
          if (isTrain) train.push(item)
          else if (j === 0 && (n > 1 || camIndex === 0)) query.push(item)
          else gallery.push(item)
        }
      } else {
        const tr = options.tracklets
        for (let k = 0; k < tr.perCamera; k++) {
          const t = tracklet++
          const min = Math.min(tr.minFrames ?? tr.frames, tr.frames)
          const length = min + RandomStream.fromSeed(seed, `${name}/length/${t}`).nextInt(tr.frames - min + 1)
          const target = isTrain ? train : k === 0 && (tr.perCamera > 1 || camIndex === 0) ? query : gallery
          for (let f = 0; f < length; f++) {
            const key = `${pad(id, 4)}C${cam + 1}T${pad(t, 4)}F${pad(f + 1, 3)}`
            target.push({
              source: rendered(key, { _tag: "Frame", id, cam, tracklet: t, frame: f }),
              id,
              cam,
              tracklet: t,
              frame: f
            })
          }
        }
      }
    })
  }
  const dataset: Dataset = {
    name: `${name}${options.tracklets === undefined ? "" : "-video"}`,
    kind: options.tracklets === undefined ? "image" : "video",
    train,
    query,
    gallery
  }
  return { options, dataset, camera, person, vehicle, camerasOf, render, annotate, shotOf: (key) => shots.get(key) }
}

/**
 * Builds a synthetic world; options are decoded (defaults filled in, bad values are an {@link InvalidOption}).
 *
 * ```ts
 * const world = yield* Synthetic.make({ identities: 40, cameras: 4, height: 64, width: 32 })
 * world.dataset.train.length // 20 identities x 3 cameras x 4 images = 240
 * ```
 */
export const make = (input: SyntheticInput = {}): Effect.Effect<SyntheticWorld, InvalidOption> =>
  Schema.decodeUnknownEffect(SyntheticOptions)(input).pipe(
    Effect.mapError((e) => new InvalidOption({ what: "Synthetic options", detail: e.message })),
    Effect.flatMap((o) =>
      (o.trainIdentities ?? 0) > o.identities
        ? Effect.fail(
            new InvalidOption({
              what: "Synthetic options",
              detail: `trainIdentities (${o.trainIdentities}) exceeds identities (${o.identities})`
            })
          )
        : Effect.succeed(fromOptions(o))
    )
  )

/** Synchronous {@link make}: throws the {@link InvalidOption} (for scripts and tests). */
export const makeSync = (input: SyntheticInput = {}): SyntheticWorld => Effect.runSync(make(input))
