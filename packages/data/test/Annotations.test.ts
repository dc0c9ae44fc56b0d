import { describe, expect, it } from "vitest"
import { CocoKeypoints, SyntheticAnnotations } from "../src/index.ts"
import * as Synthetic from "../src/Synthetic.ts"
import * as Camera from "../src/synthetic/Camera.ts"
import * as Canvas from "../src/synthetic/Canvas.ts"
import * as Person from "../src/synthetic/Person.ts"

describe("synthetic annotations", () => {
  const world = Synthetic.makeSync({ seed: 5, identities: 40, height: 64, width: 32 })

  it("attributes are the appearance's, in attributeNames order, and every attribute occurs in a 40-person world", () => {
    const rows = Array.from(
      { length: 40 },
      (_, id) => [world.person(id), SyntheticAnnotations.attributes(world.person(id))] as const
    )
    for (const [a, labels] of rows) {
      expect(labels.length).toBe(SyntheticAnnotations.attributeNames.length)
      expect(labels[0]).toBe(a.hat === undefined ? 0 : 1)
      expect(labels[5]).toBe(a.bag === "backpack" ? 1 : 0)
      expect(labels[3]! + labels[4]!).toBeLessThanOrEqual(1) // shorts and skirt exclude each other
      expect(labels[5]! + labels[6]! + labels[7]!).toBeLessThanOrEqual(1) // one bag at most
    }
    const positives = SyntheticAnnotations.attributeNames.map((_, j) => rows.filter(([, l]) => l[j] === 1).length)
    expect(positives.every((p) => p > 0 && p < 40)).toBe(true)
  })

  it("visible keypoints fall on the drawn person, in COCO-17 order (head above shoulders above hips above ankles)", () => {
    for (const view of Camera.views) {
      for (const id of [0, 1, 2, 3]) {
        const a = world.person(id)
        const c = Canvas.make(128, 64)
        const place = { cx: 32, top: 6, height: 118 }
        Person.draw(c, a, view, place, 0.7)
        const kp = SyntheticAnnotations.keypoints(a, view, place, 0.7)
        expect(kp.length).toBe(17)
        const painted = (x: number, y: number) => {
          // the canvas starts black (0); a person pixel has some colour, or is within a pixel of one
          for (const [dx, dy] of [
            [0, 0],
            [1, 0],
            [-1, 0],
            [0, 1],
            [0, -1]
          ] as const) {
            const [px, py] = [Math.floor(x) + dx, Math.floor(y) + dy]
            if (px < 0 || py < 0 || px >= 64 || py >= 128) continue
            const o = (py * 64 + px) * 3
            if (c.data[o]! + c.data[o + 1]! + c.data[o + 2]! > 0) return true
          }
          return false
        }
        // shoulders, hips, knees, ankles of the near (or both, front/back) side are on the figure
        for (const k of [5, 6, 11, 12, 13, 14, 15, 16])
          if (kp[k]![2] === 2) expect(painted(kp[k]![0], kp[k]![1])).toBe(true)
        expect(kp[0]![1]).toBeLessThan(kp[5]![1])
        expect(kp[5]![1]).toBeLessThan(kp[11]![1])
        expect(kp[11]![1]).toBeLessThan(kp[15]![1])
        if (view === "front") expect(kp[5]![0]).toBeGreaterThan(kp[6]![0]) // the person's left is the image's right
        if (view === "back") expect(kp[5]![0]).toBeLessThan(kp[6]![0])
        if (view === "back") expect(kp[0]![2]).toBe(1) // the face is hidden
      }
    }
  })
})

describe("COCO keypoint files", () => {
  const kp = (x: number) => Array.from({ length: 51 }, (_, i) => (i % 3 === 2 ? 2 : x + i))
  it("reads { images, annotations } (best score per image) and result arrays", () => {
    const text = JSON.stringify({
      images: [
        { id: 1, file_name: "a.jpg" },
        { id: 2, file_name: "b.jpg" }
      ],
      annotations: [
        { image_id: 1, keypoints: kp(0), score: 0.2 },
        { image_id: 1, keypoints: kp(100), score: 0.9 },
        { image_id: 2, keypoints: kp(7) }
      ]
    })
    const index = CocoKeypoints.parse(text, "k.json")
    expect(index.get("a.jpg")![0]).toBe(100)
    expect(index.get("b.jpg")![0]).toBe(7)
    expect(
      CocoKeypoints.parse(JSON.stringify([{ image_id: "c.jpg", keypoints: kp(1) }]), "r.json").get("c.jpg")![3]
    ).toBe(4)
  })
  it("bad files: typed errors naming the file and the fix", () => {
    expect(() => CocoKeypoints.parse("{", "x.json")).toThrow(/x.json: not JSON/)
    expect(() =>
      CocoKeypoints.parse(JSON.stringify({ annotations: [{ image_id: 9, keypoints: kp(0) }] }), "y.json")
    ).toThrow(/image_id 9 has no entry/)
    expect(() => CocoKeypoints.parse(JSON.stringify([{ image_id: "a", keypoints: [1, 2] }]), "z.json")).toThrow(
      /51 finite numbers/
    )
  })
})
