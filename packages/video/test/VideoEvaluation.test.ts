/**
 * The evaluation protocol of MDKT runs: the official MARS gallery (query tracklets included, as TKP evaluates I2V)
 * against the gallery as it is, on a hand-made case, and the protocol's description in reports.
 */
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import type { FrameLoader, Tracklet } from "../src/ClipData.ts"
import { describeProtocol, evaluateVideoModel } from "../src/VideoEvaluation.ts"
import type { VideoModelBase } from "../src/VideoModel.ts"

beforeAll(async () => {
  await tf.setBackend("cpu")
})

// every frame of a tracklet is filled with one value (the item's `frame` field holds it): the embedding of a clip
// is the mean value, repeated in 2 dimensions, so distances are plain differences of those values
const track = (id: number, cam: number, tracklet: number, values: ReadonlyArray<number>): Tracklet => ({
  id,
  cam,
  tracklet,
  frames: values.map((v) => ({ source: { _tag: "File" as const, path: `${tracklet}` }, id, cam, tracklet, frame: v }))
})
const loader: FrameLoader = {
  height: 1,
  width: 1,
  cached: () => 0,
  write: (frames, _flip, out, offset) => {
    frames.forEach((f, t) => {
      out.fill(f.frame ?? 0, offset + 3 * t, offset + 3 * t + 3)
    })
  }
}
const model = {
  featureDim: 2,
  embed: (x: tf.Tensor) => tf.tidy(() => tf.tile(tf.reshape(tf.mean(x, [1, 2, 3, 4]), [-1, 1]), [1, 2]))
} as unknown as VideoModelBase

describe("MDKT evaluation protocol", () => {
  // identity 1 is queried from both its cameras; the gallery holds only other identities (1's second camera is a query)
  const query = [track(1, 0, 0, [10, 11]), track(1, 1, 1, [12, 13])]
  const gallery = [track(2, 0, 2, [30, 30]), track(3, 1, 3, [50, 50]), track(1, 0, 4, [100, 100])]
  const spec = { frames: 0, queryFrame: "first" as const, batchSize: 8 }

  it("official MARS gallery: each query finds the other camera's query tracklet; its own tracklet is junk", () => {
    const before = tf.memory().numTensors
    const s = evaluateVideoModel(model, query, gallery, loader, spec, { galleryIncludesQueries: true })
    // I2V: query images 10 and 12; gallery clips 10.5 (q0, cam 0), 12.5 (q1, cam 1), 30, 50, 100 (id 1, cam 0)
    // query 0 (cam 0): q0 is junk (same id, cam), the match q1 (12.5) ranks first -> AP 1
    // query 1 (cam 1): q1 is junk; matches q0 (10.5, distance 1.5) and id-1 cam-0 gallery (100): ranks 1 and 4 -> AP (1 + 2/4) / 2
    expect(s.i2v.queries).toBe(2)
    expect(s.i2v.cmc1).toBeCloseTo(100, 6)
    expect(s.i2v.mAP).toBeCloseTo((100 * (1 + 0.75)) / 2, 4)
    expect(tf.memory().numTensors).toBe(before)
  })

  it("gallery as it is: query 0's only cross-camera match is missing, so only query 1 is valid", () => {
    const s = evaluateVideoModel(model, query, gallery, loader, spec)
    // query 1 (cam 1): the only match is id-1 cam-0 (100) behind 30 and 50 -> rank 3, AP 1/3
    expect(s.i2v.queries).toBe(1)
    expect(s.i2v.cmc1).toBe(0)
    expect(s.i2v.mAP).toBeCloseTo(100 / 3, 4)
  })

  it("describes the protocol it evaluated with, naming the official MARS gallery and TKP's convention", () => {
    const mars = describeProtocol(
      { frames: 0, queryFrame: "first" },
      { junkIdentities: [-1], distractorIdentities: [0], galleryIncludesQueries: true }
    )
    expect(mars).toContain("I2V: the first frame of each query tracklet")
    expect(mars).toContain("query tracklets included (official MARS protocol; I2V as TKP")
    expect(mars).toContain("identity -1 junk, identity 0 distractor")
    expect(describeProtocol({ frames: 4, queryFrame: "middle" })).toContain(
      "gallery: the gallery tracklets, each tracklet over 4 evenly spaced frames"
    )
  })
})
