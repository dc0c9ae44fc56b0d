/**
 * The pose-guided part model: its parts follow the keypoints (moving one part's keypoints changes that part's
 * feature only; no labelled keypoint, no part), the visibility-weighted part distance by hand, and a shrunk `parts`
 * protocol with the pose model enabled trains it, reports its mAP beside PCB's and resumes with the same figures.
 */
import "@tensorflow/tfjs-backend-cpu"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Model } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as PartModels from "../src/parts/PartModels.ts"
import * as PartModelsProtocol from "../src/parts/PartModelsProtocol.ts"
import * as PoseGuided from "../src/parts/PoseGuided.ts"

await tf.setBackend("cpu")

/** 17 keypoints `[x, y, 2]` of an upright figure in a 64 x 32 image. */
const figure = (): Array<number> => {
  const at: Array<[number, number]> = [
    [16, 6],
    [14, 5],
    [18, 5],
    [12, 6],
    [20, 6], // head
    [10, 16],
    [22, 16],
    [8, 26],
    [24, 26],
    [8, 34],
    [24, 34], // shoulders, elbows, wrists
    [12, 34],
    [20, 34],
    [12, 46],
    [20, 46],
    [12, 58],
    [20, 58] // hips, knees, ankles
  ]
  return at.flatMap(([x, y]) => [x, y, 2])
}

const backbone = { kind: "reference", stemWidth: 8, widths: [8, 16], blocks: [1, 1] } as const

describe("pose-guided model", () => {
  it.effect("the parts follow the keypoints: moving the head's keypoints changes the head part only", () =>
    Effect.gen(function* () {
      const model = yield* Rng.withSeed(
        Model.make(PoseGuided.poseModelConfig({ backbone, classes: 3, embedding: 8, channels: 32 })),
        7
      )
      const forward = PoseGuided.poseForward(model, { margin: 0.05 })
      const before = tf.memory().numTensors
      const image = tf.randomUniform([1, 64, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D
      const base = figure()
      const moved = [...base]
      for (let j = 0; j < 5; j++) moved[3 * j + 1] = moved[3 * j + 1]! + 40 // the head's keypoints move down
      const hidden = base.map((x, k) => (k % 3 === 2 && k < 15 ? 0 : x)) // the head's keypoints unlabelled
      const [a, b, c] = [base, moved, hidden].map((kp) =>
        tf.tidy(() => {
          const o = forward(image, false, [kp])
          return { u: o.localFeatures.arraySync()[0]!, v: Array.from(o.partVisibility.dataSync()) }
        })
      )
      image.dispose()
      expect(tf.memory().numTensors).toBe(before)
      const differ = (x: ReadonlyArray<number>, y: ReadonlyArray<number>) =>
        x.some((xi, i) => Math.abs(xi - y[i]!) > 1e-6)
      expect(a!.v).toEqual([1, 1, 1, 1, 1, 1])
      expect(differ(a!.u[0]!, b!.u[0]!)).toBe(true) // head part moved
      for (let p = 1; p < 6; p++) expect(differ(a!.u[p]!, b!.u[p]!)).toBe(false)
      expect(c!.v).toEqual([0, 1, 1, 1, 1, 1])
      expect(c!.u[0]!.every((x) => x === 0)).toBe(true)
      for (const p of [0, 1, 2]) expect(Math.hypot(...a!.u[p]!)).toBeCloseTo(1, 5) // unit parts
      // the batch's `[B, 51]` keypoints tensor (the trainer's side input) gives the same outputs as the rows
      const two = tf.randomUniform([2, 64, 32, 3], 0, 1, "float32", 4) as tf.Tensor4D
      const kps = PoseGuided.keypointsTensor([base, hidden])
      const [fromRows, fromTensor] = [[base, hidden], kps].map((k) =>
        tf.tidy(() => Array.from(forward(two, false, k).features.dataSync()))
      )
      expect(fromTensor).toEqual(fromRows)
      expect(PoseGuided.keypointRows(kps).map((r) => Array.from(r))).toEqual(
        [base, hidden].map((k) => Array.from(Float32Array.from(k)))
      )
      two.dispose()
      kps.dispose()
      // no keypoints: a clear error
      const bare = tf.zeros([1, 64, 32, 3]) as tf.Tensor4D
      expect(() => tf.tidy(() => forward(bare, false, undefined).features)).toThrow(/the batch has no keypoints/)
      bare.dispose()
    }).pipe(Effect.scoped, Effect.provide(Backend.layerCpu))
  )

  it("partDistance: the mean distance over the parts both images show, 2 when none is shared (by hand)", () => {
    // 2 parts of 2 channels; query 0 shows both, query 1 only part 1; gallery 0 shows both, gallery 1 only part 0
    const q = { data: Float32Array.from([1, 0, 0, 1, 0, 0, 1, 0]), rows: 2, dim: 4, parts: 2, visible: [1, 1, 0, 1] }
    const g = { data: Float32Array.from([0, 1, 0, 1, 1, 0, 0, 0]), rows: 2, dim: 4, parts: 2, visible: [1, 1, 1, 0] }
    const d = PoseGuided.partDistance(q, g)
    expect(d[0]).toBeCloseTo((Math.SQRT2 + 0) / 2, 6) // part 0: |(1,0)-(0,1)|, part 1: equal
    expect(d[1]).toBeCloseTo(0, 6) // only part 0 shared, equal
    expect(d[2]).toBeCloseTo(Math.SQRT2, 6) // only part 1 shared: |(1,0)-(0,1)|
    expect(d[3]).toBe(2) // nothing shared
  })

  it.effect("a shrunk protocol trains the pose model, reports it beside PCB, and resumes with the same figures", () =>
    Effect.gen(function* () {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-pose-"))
      const protocol = yield* PartModelsProtocol.decode({
        name: "parts-pose-tiny",
        kind: "parts",
        world: { identities: 12, imagesPerCamera: 2 },
        training: { height: 32, width: 16, epochs: 1, stepsPerEpoch: 2, identities: 4, instances: 2 },
        pcb: { parts: 2, attributes: false },
        pose: { enabled: true },
        seeds: [0]
      })
      const before = tf.memory().numTensors
      const first = yield* PartModels.runProtocol(protocol, { out })
      expect(tf.memory().numTensors).toBe(before)
      const pose = first.run.seeds[0]!.pose!
      for (const x of [pose.parts, pose.global]) {
        expect(x).toBeGreaterThan(0)
        expect(x).toBeLessThanOrEqual(1)
      }
      const rows = first.run.summary.rows.map((r) => `${r.model}/${r.distance}`)
      expect(rows.slice(-4)).toEqual(["PCB/parts", "PCB/global", "Pose-guided/parts", "Pose-guided/global"])
      expect(first.run.summary.rows.at(-2)!.mAP.mean).toBe(pose.parts)
      const report = fs.readFileSync(path.join(out, "report.md"), "utf8")
      expect(report).toContain(`| Pose-guided | parts | ${(100 * pose.parts).toFixed(1)} |`)
      const journal = JSON.parse(fs.readFileSync(path.join(out, "units", "seed-0", "state.json"), "utf8"))
      expect(journal.completed).toEqual(["aligned", "pcb", "pose"])
      const again = yield* PartModels.runProtocol(protocol, { out })
      expect(again.run.seeds).toEqual(first.run.seeds)
      fs.rmSync(out, { recursive: true })
    }).pipe(Effect.provide(Backend.layerWasm))
  )
})
