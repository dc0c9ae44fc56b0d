import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import type { RgbImage } from "../src/Image.ts"
import * as CocoKeypoints from "../src/readers/CocoKeypoints.ts"
import * as Synthetic from "../src/Synthetic.ts"
import type { Colour } from "../src/synthetic/Canvas.ts"
import * as SyntheticExport from "../src/SyntheticExport.ts"

// no photometric effects (gain 1, no cast, no noise, no blur), so a drawn colour reaches the image as is;
// every view, a gait phase and a jitter per image, and an occluder on every image of the occluded world
const clean = {
  illumination: 0,
  colourCast: 0,
  blur: 0,
  noise: 0,
  viewpoint: 1,
  pose: 1,
  scale: 0.5,
  background: 0.5,
  similarity: 0.5
}
const base = { seed: 11, identities: 16, cameras: 4, imagesPerCamera: 3, height: 96, width: 48 }
const occludedWorld = Synthetic.makeSync({ ...base, difficulty: { ...clean, occlusion: 1 } })
// the same world without occluders: the occlusion draw consumes the same random numbers, so every shot has the
// same view, placement and phase, and the two renders differ exactly where an occluder was painted
const openWorld = Synthetic.makeSync({ ...base, difficulty: { ...clean, occlusion: 0 } })

const shots = occludedWorld.dataset.train.map((item) =>
  occludedWorld.shotOf(item.source._tag === "Rendered" ? item.source.key : "")
)
const pixel = (img: RgbImage, x: number, y: number): Colour => {
  const o = (Math.floor(y) * img.width + Math.floor(x)) * 3
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!]
}
const same = (a: Colour, b: Colour) => a.every((v, i) => Math.abs(v - Math.trunc(b[i]!)) <= 1)

/** The colours a person's figure is painted with. */
const palette = (world: Synthetic.SyntheticWorld, id: number): Array<Colour> => {
  const a = world.person(id)
  return [a.skin, a.hair, a.top, a.topSecond, a.bottom, a.shoes, a.bagColour, ...(a.hat === undefined ? [] : [a.hat])]
}
/** Whether a pixel within one pixel of (x, y) has one of the colours. */
const near = (img: RgbImage, x: number, y: number, colours: ReadonlyArray<Colour>) => {
  for (const [dx, dy] of [
    [0, 0],
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1]
  ] as const) {
    const [px, py] = [Math.floor(x) + dx, Math.floor(y) + dy]
    if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue
    if (colours.some((c) => same(pixel(img, px, py), c))) return true
  }
  return false
}

describe("per-image annotations of the synthetic world (world.annotate)", () => {
  it("rendering is unchanged by the annotation staging: the same shot renders the same pixels twice", () => {
    const shot = shots[0]!
    expect(occludedWorld.render(shot).data).toEqual(occludedWorld.render(shot).data)
  })

  it("visible keypoints fall on the drawn figure: limbs and trunk points on the person's own colours", () => {
    let checked = 0
    for (const [k, item] of occludedWorld.dataset.train.entries()) {
      const a = openWorld.annotate(shots[k]!)
      const img = openWorld.render(shots[k]!)
      const colours = palette(openWorld, item.id)
      for (const j of [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) {
        const [x, y, v] = a.keypoints![j]!
        if (v !== 2) continue
        expect(near(img, x, y, colours)).toBe(true)
        checked++
      }
      // ankles: on the shoes, the legs (trousers or skin) or a skirt
      const p = openWorld.person(item.id)
      for (const j of [15, 16]) {
        const [x, y, v] = a.keypoints![j]!
        if (v === 2) expect(near(img, x, y, [p.shoes, p.bottom, p.skin])).toBe(true)
      }
    }
    expect(checked).toBeGreaterThan(200)
  })

  it("keypoints follow the view: left / right sides, the face hidden from the back, the far side in side views", () => {
    const views = new Set<string>()
    for (const shot of shots) {
      const a = openWorld.annotate(shot!)
      const kp = a.keypoints!
      views.add(a.view)
      if (kp[5]![2] === 0 || kp[6]![2] === 0) continue
      if (a.view === "front") expect(kp[5]![0]).toBeGreaterThan(kp[6]![0]) // the person's left: the image's right
      if (a.view === "back") {
        expect(kp[5]![0]).toBeLessThan(kp[6]![0])
        expect(kp[0]![2]).toBe(1)
      }
      if (a.view === "left") expect([kp[5]![2], kp[6]![2]]).toEqual([2, 1])
      if (a.view === "right") expect([kp[5]![2], kp[6]![2]]).toEqual([1, 2])
      if (kp[0]![2] > 0 && kp[15]![2] > 0) expect(kp[0]![1]).toBeLessThan(kp[15]![1])
    }
    expect(views.size).toBe(4)
  })

  it("the gait phase moves the legs in side views (as drawn) and is the shot's", () => {
    const side = shots.map((s) => [s!, openWorld.annotate(s!)] as const).filter(([, a]) => a.view === "left")
    const spread = side.map(([, a]) => a.keypoints![15]![0] - a.keypoints![16]![0])
    // ankles at cx ± 0.28 w sin(phase): their gap has the sign of sin(phase)
    for (const [k, [, a]] of side.entries())
      if (Math.abs(Math.sin(a.phase)) > 0.2) expect(Math.sign(spread[k]!)).toBe(Math.sign(Math.sin(a.phase)))
    expect(side.length).toBeGreaterThan(3)
  })

  it("points under the occluder get v = 0 (x = y = 0), and only those: the renders differ there and nowhere else", () => {
    let hidden = 0
    for (const shot of shots) {
      const occ = occludedWorld.annotate(shot!)
      const open = openWorld.annotate(shot!)
      expect(occ.occluded).toBe(true)
      expect(open.occluded).toBe(false)
      expect(occ.box).toEqual(open.box)
      const a = occludedWorld.render(shot!)
      const b = openWorld.render(shot!)
      for (let j = 0; j < 17; j++) {
        const [x, y, v] = open.keypoints![j]!
        const o = occ.keypoints![j]!
        if (v === 0) {
          expect(o).toEqual([0, 0, 0])
          continue
        }
        if (o[2] === 0) {
          hidden++
          expect(o[0] + o[1]).toBe(0)
          expect(same(pixel(a, x, y), pixel(b, x, y))).toBe(false)
        } else {
          expect(o).toEqual(open.keypoints![j])
          expect(pixel(a, x, y)).toEqual(pixel(b, x, y))
        }
      }
    }
    expect(hidden).toBeGreaterThan(20)
  })

  it("the box is the figure's extent: it holds every labelled keypoint, lies in the image, and touches the figure", () => {
    for (const [k, item] of occludedWorld.dataset.train.entries()) {
      const { box, keypoints } = openWorld.annotate(shots[k]!)
      const [x, y, w, h] = box
      expect(x).toBeGreaterThanOrEqual(0)
      expect(y).toBeGreaterThanOrEqual(0)
      expect(x + w).toBeLessThanOrEqual(base.width)
      expect(y + h).toBeLessThanOrEqual(base.height)
      for (const [kx, ky, v] of keypoints!) {
        if (v === 0) continue
        expect(kx).toBeGreaterThanOrEqual(x - 1)
        expect(kx).toBeLessThanOrEqual(x + w + 1)
        expect(ky).toBeGreaterThanOrEqual(y - 1)
        expect(ky).toBeLessThanOrEqual(y + h + 1)
      }
      // tight: the top and bottom rows of the box hold a figure pixel
      const img = openWorld.render(shots[k]!)
      const colours = palette(openWorld, item.id)
      for (const row of [y, y + h - 1]) {
        const hit = Array.from({ length: w }, (_, i) => x + i).some((col) =>
          colours.some((c) => same(pixel(img, col, row), c))
        )
        expect(hit).toBe(true)
      }
    }
  })

  it("annotations scale with the requested size (domain worlds draw smaller, then resize)", () => {
    const shot = shots[3]!
    const a = openWorld.annotate(shot)
    const twice = openWorld.annotate(shot, base.height * 2, base.width * 2)
    for (let j = 0; j < 17; j++) {
      const [x, y, v] = a.keypoints![j]!
      const [x2, y2, v2] = twice.keypoints![j]!
      expect(v2).toBe(v)
      if (v > 0) {
        expect(Math.abs(x2 - 2 * x)).toBeLessThan(1e-9)
        expect(Math.abs(y2 - 2 * y)).toBeLessThan(1e-9)
      }
    }
    const domainWorld = Synthetic.makeSync({ ...base, domain: { resolution: 0.5 } })
    const d = domainWorld.annotate(domainWorld.shotOf("0001_c1s1_000000_00") ?? shots[0]!)
    expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(base.width)
    expect(d.box[1] + d.box[3]).toBeLessThanOrEqual(base.height)
  })

  it.effect("round trip: the exported COCO-17 file reads back through CocoKeypoints, image by image", () =>
    Effect.gen(function* () {
      const world = Synthetic.makeSync({ ...base, identities: 6, difficulty: { ...clean, occlusion: 0.5 } })
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-coco-")))
      const file = path.join(dir, "person_keypoints.json")
      yield* SyntheticExport.writeCocoKeypoints(world, file, { format: "png" })
      const text = yield* Effect.promise(() => fs.readFile(file, "utf8"))
      const index = CocoKeypoints.parse(text, file)
      const items = [...world.dataset.train, ...world.dataset.query, ...world.dataset.gallery]
      expect(index.size).toBe(items.length)
      for (const item of items) {
        const key = item.source._tag === "Rendered" ? item.source.key : ""
        const kp = index.get(`${key}.png`)!
        const expected = world.annotate(world.shotOf(key)!).keypoints!.flat()
        expect(Array.from(kp)).toEqual(Array.from(Float32Array.from(expected)))
      }
      const boxes = CocoKeypoints.parseBoxes(text, file)
      expect(boxes.size).toBe(items.length)
      for (const item of items) {
        const key = item.source._tag === "Rendered" ? item.source.key : ""
        expect(boxes.get(`${key}.png`)).toEqual(world.annotate(world.shotOf(key)!).box)
      }
      const coco = JSON.parse(text) as SyntheticExport.CocoKeypointFile
      expect(coco.categories[0]!.keypoints.length).toBe(17)
      const a = coco.annotations[0]!
      expect(a.num_keypoints).toBe(a.keypoints.filter((_, i) => i % 3 === 2 && a.keypoints[i]! > 0).length)
      expect(a.area).toBeCloseTo(a.bbox[2] * a.bbox[3], 9)
      const bad = { ...coco, annotations: [{ ...coco.annotations[0]!, bbox: [1, 2, 3] }] }
      expect(() => CocoKeypoints.parseBoxes(JSON.stringify(bad), "b.json")).toThrow(/bbox must be 4 finite numbers/)
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    })
  )

  it.effect("a vehicle world has boxes but no keypoints: the COCO export is a typed error", () =>
    Effect.gen(function* () {
      const world = Synthetic.makeSync({ kind: "vehicle", identities: 4, height: 48, width: 48 })
      const item = world.dataset.train[0]!
      const a = world.annotate(world.shotOf(item.source._tag === "Rendered" ? item.source.key : "")!)
      expect(a.keypoints).toBeUndefined()
      expect(a.box[2] * a.box[3]).toBeGreaterThan(0)
      const error = yield* Effect.flip(SyntheticExport.cocoKeypointFile(world))
      expect(error._tag).toBe("MalformedMetadata")
      expect(error.message).toMatch(/person world/)
    })
  )
})
