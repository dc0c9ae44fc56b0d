import { describe, expect, it } from "@effect/vitest"
import { Synthetic, SyntheticScene } from "../src/index.ts"

const world = Synthetic.makeSync({
  kind: "person",
  seed: 1,
  identities: 12,
  cameras: 3,
  height: 32,
  width: 16,
  difficulty: Synthetic.presets.easy
})

describe("SyntheticScene (multi-camera videos with per-frame detections)", () => {
  const scene = SyntheticScene.make(world, { missRate: 0.1, occlusionRate: 0.2 })

  it("each identity visits its cameras one after another, crossing the frame; misses are flagged and left out", () => {
    const ids = [...new Set(world.dataset.query.map((i) => i.id))].sort((a, b) => a - b).slice(0, 4)
    expect([...new Set(scene.truth.map((d) => d.id))].sort((a, b) => a - b)).toEqual(ids)
    for (const id of ids) {
      const mine = scene.truth.filter((d) => d.id === id)
      const cams = [...new Set(mine.map((d) => d.camera))]
      expect(cams.sort()).toEqual([...world.camerasOf(id)].filter((c) => c < 3).sort())
      expect(mine).toHaveLength(12 * cams.length)
      // never in two cameras in the same frame
      const frames = mine.map((d) => d.frame)
      expect(new Set(frames).size).toBe(frames.length)
      for (const cam of cams) {
        const xs = mine
          .filter((d) => d.camera === cam)
          .sort((a, b) => a.frame - b.frame)
          .map((d) => d.box[0])
        const steps = xs.slice(1).map((x, i) => x - xs[i]!)
        expect(steps.every((s) => s > 0) || steps.every((s) => s < 0)).toBe(true)
        expect(Math.min(...xs)).toBe(0)
        expect(Math.max(...xs)).toBe(scene.frameWidth - 16)
      }
    }
    expect(scene.detections).toEqual(scene.truth.filter((d) => !d.missed))
    expect(scene.truth.some((d) => d.missed)).toBe(true)
    for (const d of scene.truth) {
      expect(
        d.box[0] >= 0 &&
          d.box[1] >= 0 &&
          d.box[0] + d.box[2] <= scene.frameWidth &&
          d.box[1] + d.box[3] <= scene.frameHeight
      ).toBe(true)
    }
  })

  it("crops are the world's frames of the visit's tracklet, an occluder painting a fraction of the columns grey", () => {
    const clear = scene.truth.find((d) => d.occluded === 0)!
    const t = scene.truth
      .filter((d) => d.id === clear.id && d.camera === clear.camera)
      .sort((a, b) => a.frame - b.frame)
    const shot = {
      _tag: "Frame" as const,
      id: clear.id,
      cam: clear.camera,
      tracklet: clear.id * 1000 + clear.camera,
      frame: t.indexOf(clear)
    }
    expect(Array.from(clear.crop().data)).toEqual(Array.from(world.render(shot).data))
    const hidden = scene.truth.find((d) => d.occluded > 0)!
    expect(hidden.occluded).toBeGreaterThanOrEqual(0.25)
    expect(hidden.occluded).toBeLessThanOrEqual(0.5)
    const crop = hidden.crop()
    const grey = (x: number) =>
      Array.from({ length: crop.height }, (_, y) =>
        crop.data.subarray((y * crop.width + x) * 3, (y * crop.width + x) * 3 + 3)
      ).every((p) => p[0] === 110 && p[1] === 110 && p[2] === 110)
    const cols = Math.round(hidden.occluded * crop.width)
    expect(grey(0) || grey(crop.width - 1)).toBe(true)
    expect(Array.from({ length: crop.width }, (_, x) => grey(x)).filter(Boolean).length).toBeGreaterThanOrEqual(cols)
  })

  it("a frame pastes every detection's crop at its box on the camera's background; same options, same scene", () => {
    const d = scene.detections[5]!
    const frame = scene.frame(d.camera, d.frame)
    const crop = d.crop()
    const [x, y] = d.box
    for (const [r, c] of [
      [0, 0],
      [crop.height - 1, crop.width - 1],
      [10, 7]
    ] as const) {
      expect(
        Array.from(
          frame.data.subarray(((y + r) * scene.frameWidth + x + c) * 3, ((y + r) * scene.frameWidth + x + c) * 3 + 3)
        )
      ).toEqual(Array.from(crop.data.subarray((r * crop.width + c) * 3, (r * crop.width + c) * 3 + 3)))
    }
    const again = SyntheticScene.make(world, { missRate: 0.1, occlusionRate: 0.2 })
    expect(again.truth.map((t) => [t.frame, t.camera, t.box, t.id, t.occluded, t.missed])).toEqual(
      scene.truth.map((t) => [t.frame, t.camera, t.box, t.id, t.occluded, t.missed])
    )
  })

  it("colourHistogram: L1-normalised joint bins, by hand on a 2-pixel image", () => {
    const h = SyntheticScene.colourHistogram({ height: 1, width: 2, data: Uint8Array.from([0, 0, 0, 255, 128, 64]) }, 2)
    // (0,0,0) -> bin 0; (255,128,64) -> r 1, g 1, b 0 -> (1 * 2 + 1) * 2 + 0 = 6
    expect(Array.from(h)).toEqual([0.5, 0, 0, 0, 0, 0, 0.5, 0])
  })
})
