import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import { Effect, Layer } from "effect"
import { beforeAll } from "vitest"
import { imageToVideo, mars, temporalPool, videoToImage, videoToVideo } from "../src/index.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

describe("temporal pooling", () => {
  it("mean and max over each tracklet's frames", () => {
    const frames = { data: Float32Array.from([1, 2, 3, 0, 5, 5, -1, 4]), rows: 4, dim: 2 }
    const tracklet = [0, 0, 1, 1]
    expect(Array.from(temporalPool(frames, tracklet, 2, "mean").data)).toEqual([2, 1, 2, 4.5])
    expect(Array.from(temporalPool(frames, tracklet, 2, "max").data)).toEqual([3, 2, 5, 5])
    expect(() => temporalPool(frames, tracklet, 3)).toThrow(expect.objectContaining({ _tag: "EmptySet" }))
    expect(() => temporalPool(frames, [0, 0, 5, 1], 2)).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
  })
})

// two identities; tracklet frames drift, so that the first frame and the pooled tracklet rank differently
const query = {
  frames: [
    [0, 0],
    [0, 2],
    [10, 0],
    [10, 2]
  ],
  tracklet: [0, 0, 1, 1],
  ids: [1, 2],
  cams: [0, 0]
}
const gallery = {
  frames: [
    [0, 1.2],
    [0, 1.4],
    [10, 1],
    [10, 1],
    [0, 0.2],
    [0, 0.2]
  ],
  tracklet: [0, 0, 1, 1, 2, 2],
  ids: [1, 2, 3],
  cams: [1, 1, 1]
}

describe("video protocols", () => {
  it("V2V ranks pooled tracklets", () => {
    const r = noLeaks(() => videoToVideo(query, gallery, { maxRank: 3 }))
    // query 1 pooled (0,1): gallery 1 (0,1.3) d=0.3 beats id 3 (0,0.2) d=0.8 -> perfect
    expect(r.mAP).toBe(1)
  })

  it("I2V uses the first frame by default, configurable", () => {
    // first frame of query 1 is (0,0): id 3 (0,0.2) is closer than id 1 (0,1.3)
    const first = imageToVideo(query, gallery, { maxRank: 3 })
    expect(first.perQuery.firstMatchRank[0]).toBe(1)
    const last = imageToVideo(query, gallery, { maxRank: 3, queryFrame: "last" })
    expect(last.perQuery.firstMatchRank[0]).toBe(0)
    expect(() => imageToVideo(query, gallery, { queryFrame: 5 })).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" })
    )
    // a frame of a tracklet that has no id/cam is an error, not silently dropped from the I2V query
    expect(() => imageToVideo({ ...query, tracklet: [0, 0, 1, 2] }, gallery)).toThrow(
      expect.objectContaining({ _tag: "InvalidOption" })
    )
    expect(() => imageToVideo({ ...query, tracklet: [0, 0, 1] }, gallery)).toThrow(
      expect.objectContaining({ _tag: "LengthMismatch" })
    )
  })

  it("V2I ranks every gallery frame as an image", () => {
    const r = videoToImage(query, gallery, { maxRank: 6 })
    expect(r.perQuery.positives[0]).toBe(2)
    expect(r.perQuery.positives[1]).toBe(2)
  })

  it("MARS: the gallery includes the query tracklets, whose own entry is junk", () => {
    const tracklets = {
      frames: [
        [0, 0],
        [0, 0.1],
        [5, 5],
        [0, 0.3],
        [9, 9]
      ],
      tracklet: [0, 1, 2, 3, 4],
      ids: [1, 1, 2, 1, 2],
      cams: [0, 1, 0, 0, 1]
    }
    const r = mars(tracklets, [0, 2], { maxRank: 5 })
    // query 0 (id 1 cam 0): itself and tracklet 3 (same id, same cam) are junk; tracklet 1 (cam 1) is the match
    expect(r.perQuery.junk[0]).toBe(2)
    expect(r.perQuery.positives[0]).toBe(1)
    expect(r.mAP).toBe(1)
    expect(() => mars(tracklets, [7])).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
  })
})
