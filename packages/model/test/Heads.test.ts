import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect, Exit } from "effect"
import { Model, pcbDescriptor, stripeMatrix, stripes } from "../src/index.ts"

const cpu = Effect.provide(Backend.layerCpu)
const backbone = { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] } as const
const images = (seed: number, n = 4) => tf.randomUniform([n, 32, 16, 3], 0, 1, "float32", seed) as tf.Tensor4D

describe("stripes (PCB parts, AlignedReID rows)", () => {
  beforeAll(() => Effect.runPromise(Effect.scoped(Effect.asVoid(Effect.provide(Effect.void, Backend.layerCpu)))))
  it("hand-computed: 5 rows into 2 stripes average rows 0-1 and 2-4 over the width", () => {
    expect(Array.from(stripeMatrix(5, 2).dataSync()).map((v) => Math.round(v * 1000) / 1000)).toEqual([
      0.5, 0.5, 0, 0, 0, 0, 0, 0.333, 0.333, 0.333
    ])
    // map [1, 5, 2, 1]: row r has values r and r + 10
    const map = tf.tensor4d([0, 10, 1, 11, 2, 12, 3, 13, 4, 14], [1, 5, 2, 1])
    const s = stripes(map, 2)
    expect(s.shape).toEqual([1, 2, 1])
    const v = Array.from(s.dataSync())
    expect(v[0]).toBeCloseTo((0 + 10 + 1 + 11) / 4, 5)
    expect(v[1]).toBeCloseTo((2 + 12 + 3 + 13 + 4 + 14) / 6, 5)
    expect(() => stripeMatrix(3, 4)).toThrow(/need at least 4 rows/)
    tf.dispose([map, s])
  })

  it("pcbDescriptor concatenates unit-norm parts", () => {
    const x = tf.tensor3d([
      [
        [3, 4],
        [0, 2]
      ]
    ])
    expect(Array.from(pcbDescriptor(x).dataSync())).toEqual([0.6000000238418579, 0.800000011920929, 0, 1])
    expect(Array.from(pcbDescriptor(x, false).dataSync())).toEqual([3, 4, 0, 2])
    x.dispose()
  })
})

describe("models with a local branch, PCB parts, attributes", () => {
  it.effect("AlignedReID local branch: localFeatures [B, rows, 128] (or given stripes), non-negative (ReLU)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* Model.make({ backbone, head: { classes: 3, local: {} } })
        const x = images(1)
        const [shape, min] = tf.tidy(() => {
          const o = model.forward(x, { training: true })
          return [o.localFeatures!.shape, tf.min(o.localFeatures!).dataSync()[0]!]
        })
        // the reference net with two stages downsamples 32 x 16 by 8: 4 rows
        expect(shape).toEqual([4, 4, 128])
        expect(min).toBeGreaterThanOrEqual(0)
        const striped = yield* Model.make({ backbone, head: { local: { stripes: 2, channels: 16, pooling: "max" } } })
        expect(tf.tidy(() => striped.forward(x).localFeatures!.shape)).toEqual([4, 2, 16])
        x.dispose()
      })
    ).pipe(cpu)
  )

  it.effect("PCB: p parts of 256 channels and p classifiers; attributes: [B, A] logits", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* Model.make({ backbone, head: { classes: 5, parts: { parts: 4 }, attributes: 7 } })
        const x = images(2)
        const shapes = tf.tidy(() => {
          const o = model.forward(x, { training: false })
          return {
            local: o.localFeatures!.shape,
            parts: o.partLogits!.map((l) => l.shape),
            attrs: o.attributeLogits!.shape
          }
        })
        expect(shapes).toEqual({
          local: [4, 4, 256],
          parts: [
            [4, 5],
            [4, 5],
            [4, 5],
            [4, 5]
          ],
          attrs: [4, 7]
        })
        expect([...model.variables.keys()].filter((k) => k.startsWith("parts/")).length).toBeGreaterThan(4 * 3)
        // snapshots (frozen teachers) keep the extra outputs
        const frozen = yield* model.snapshot
        expect(tf.tidy(() => frozen.forward(x).partLogits!.length)).toBe(4)
        x.dispose()
      })
    ).pipe(cpu)
  )

  it.effect("a head with both local and parts is a config error naming the fix", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.scoped(Model.make({ backbone, head: { local: {}, parts: {} } })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/choose one/)
    }).pipe(cpu)
  )
})

describe("keypoint-guided part pooling", () => {
  it("hand-computed: parts average the cells inside their keypoint boxes; an unlabelled part is zero and invisible", async () => {
    const { keypointPartPooling } = await import("../src/index.ts")
    // a 4 x 2 feature map of a 40 x 20 image (cells of 10 x 10 px); channel value = row * 10 + column
    const map = tf.tensor4d(
      Array.from({ length: 8 }, (_, k) => Math.floor(k / 2) * 10 + (k % 2)),
      [1, 4, 2, 1]
    )
    const kp = new Array<number>(51).fill(0)
    const set = (j: number, x: number, y: number) => {
      kp[3 * j] = x
      kp[3 * j + 1] = y
      kp[3 * j + 2] = 2
    }
    set(0, 5, 5) // head: the nose only, box [5 +- 2] -> cell (0, 0)
    set(5, 15, 12)
    set(6, 5, 12)
    set(11, 15, 28)
    set(12, 5, 28) // torso: x 3..17, y 10..30 -> cells (1, 0), (1, 1), (2, 0), (2, 1) (centres y 15, 25)
    const { parts, visible } = keypointPartPooling(map, [kp], { imageHeight: 40, imageWidth: 20 })
    const v = Array.from(parts.dataSync())
    expect(v[0]).toBeCloseTo(0, 6) // head: cell (0, 0) = 0
    expect(v[1]).toBeCloseTo((10 + 11 + 20 + 21) / 4, 5) // torso
    // arms and legs have a labelled keypoint (shoulder, hip) but their +-2 px boxes contain no cell centre
    expect(Array.from(visible.dataSync())).toEqual([1, 1, 0, 0, 0, 0])
    // no labelled keypoints at all: every part zero and invisible
    const none = keypointPartPooling(map, [new Array<number>(51).fill(0)], { imageHeight: 40, imageWidth: 20 })
    expect(Array.from(none.visible.dataSync())).toEqual([0, 0, 0, 0, 0, 0])
    expect(Array.from(none.parts.dataSync())).toEqual([0, 0, 0, 0, 0, 0])
    tf.dispose([map, parts, visible, none.parts, none.visible])
  })
})
