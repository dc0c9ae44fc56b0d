import { Dataset, Synthetic, SyntheticExport } from "@reidfx/data"
import { ConfigProvider, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import type { Tracklet } from "../src/ClipData.ts"
import * as DatasetFrames from "../src/DatasetFrames.ts"
import { loadWorld } from "../src/VideoWorld.ts"

const H = 16
const W = 8
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix))

/** A tiny synthetic video world (4 train + 4 test pedestrians, 2 cameras, 1 tracklet of 4 frames per camera). */
const videoWorld = () =>
  Synthetic.make({
    kind: "person",
    seed: 3,
    identities: 8,
    trainIdentities: 4,
    cameras: 2,
    tracklets: { perCamera: 2, frames: 4, minFrames: 4 },
    height: H,
    width: W,
    difficulty: { ...Synthetic.presets.easy }
  })

const render = (t: Dataset.Tracklet | Tracklet, f: number) => {
  const s = t.frames[f]!.source
  if (s._tag !== "Rendered") throw new Error("expected a rendered frame")
  return s.render(H, W)
}

const normalised = (bytes: Uint8Array) =>
  Float32Array.from(bytes, (v, i) => (v / 255 - [0.485, 0.456, 0.406][i % 3]!) / [0.229, 0.224, 0.225][i % 3]!)

describe("DatasetFrames: the frame budget", () => {
  it("framesPerTrackletWithin: all fit, a hand-computed cap, and nothing fits", () => {
    // lengths 10, 4, 2 at 1 byte a frame: 16 bytes in all; c = 3 needs 3 + 3 + 2 = 8, c = 4 needs 10
    expect(DatasetFrames.framesPerTrackletWithin([10, 4, 2], 1, 16)).toBe(Number.POSITIVE_INFINITY)
    expect(DatasetFrames.framesPerTrackletWithin([10, 4, 2], 1, 9)).toBe(3)
    expect(DatasetFrames.framesPerTrackletWithin([10, 4, 2], 1, 10)).toBe(4)
    expect(DatasetFrames.framesPerTrackletWithin([10, 4, 2], 2, 5)).toBe(0)
  })

  it("capTracklet keeps evenly spaced frames in order, and short tracklets whole", () => {
    const t = {
      id: 1,
      cam: 0,
      tracklet: 0,
      frames: Array.from({ length: 10 }, (_, f) => ({
        source: { _tag: "File" as const, path: `${f}` },
        id: 1,
        cam: 0,
        tracklet: 0,
        frame: f
      }))
    }
    expect(DatasetFrames.capTracklet(t, 4).frames.map((f) => f.frame)).toEqual([1, 3, 6, 8])
    expect(DatasetFrames.capTracklet(t, 10)).toBe(t)
    // a query keeps its first frame (the I2V query image): frames 0, 3, 6, 8
    expect(DatasetFrames.keepFirstFrame(t, DatasetFrames.capTracklet(t, 4)).frames.map((f) => f.frame)).toEqual([
      0, 3, 6, 8
    ])
  })
})

describe("dataset roots under $REIDFX_DATA", () => {
  const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  it("REIDFX_DATA unset: an error saying to set it; set: the root is expanded (a missing folder shows the layout)", async () => {
    const world = {
      kind: "layout" as const,
      layout: "dukeMTMCVideoReID" as const,
      root: "$REIDFX_DATA/DukeMTMC-VideoReID"
    }
    const unset = await Effect.runPromise(Effect.flip(DatasetFrames.readTracklets(world).pipe(withEnv({}))))
    expect(unset.message).toContain("REIDFX_DATA is not set")
    const data = tmp("mdkt-data-")
    const missing = await Effect.runPromise(
      Effect.flip(DatasetFrames.readTracklets(world).pipe(withEnv({ REIDFX_DATA: data })))
    )
    expect(missing.message).toContain(path.join(data, "DukeMTMC-VideoReID"))
    expect(missing.message).toContain("query/...")
  })
})

describe("video datasets on disk (real layouts, tiny fixture trees)", () => {
  it("MARS (written by SyntheticExport.writeMars with .mat info files): the tracklets are the world's and the frames decode to the rendered pixels", async () => {
    const world = await Effect.runPromise(videoWorld())
    const root = tmp("mdkt-mars-")
    await Effect.runPromise(SyntheticExport.writeMars(world, root, { format: "png" }))
    expect(fs.existsSync(path.join(root, "info", "tracks_train_info.mat"))).toBe(true)
    // the tracklets are the world's, and the loader serves each frame's pixels (png is lossless, no resize)
    const splits = await Effect.runPromise(
      loadWorld({ world: { kind: "layout", layout: "mars", root }, height: H, width: W, flip: 0.5 })
    )
    expect(splits.name).toBe("MARS")
    expect(splits.train).toHaveLength(Dataset.tracklets(world.dataset.train).length)
    expect(splits.query).toHaveLength(Dataset.tracklets(world.dataset.query).length)
    expect(splits.gallery).toHaveLength(Dataset.tracklets(world.dataset.gallery).length)
    expect(splits.distractorIdentities).toEqual([0])
    expect(splits.galleryIncludesQueries).toBe(true)
    const source = Dataset.tracklets(world.dataset.train)[1]!
    const read = splits.train[1]!
    expect([read.id, read.cam, read.frames.length]).toEqual([source.id, source.cam, source.frames.length])
    const out = new Float32Array(2 * H * W * 3)
    splits.loader!.write([read.frames[2]!, read.frames[3]!], false, out, 0)
    expect(Array.from(out.subarray(0, H * W * 3))).toEqual(Array.from(normalised(render(source, 2).data)))
    expect(Array.from(out.subarray(H * W * 3))).toEqual(Array.from(normalised(render(source, 3).data)))
    expect(splits.loader!.cached()).toBe(
      [...splits.train, ...splits.query, ...splits.gallery].reduce((a, t) => a + t.frames.length, 0)
    )
  })

  it("MARS within a small budget keeps fewer evenly spaced frames per tracklet and says so; below one frame each it is a typed error", async () => {
    const world = await Effect.runPromise(videoWorld())
    const root = tmp("mdkt-mars-budget-")
    await Effect.runPromise(SyntheticExport.writeMars(world, root, { format: "png" }))
    const tracklets =
      Dataset.tracklets(world.dataset.train).length +
      Dataset.tracklets(world.dataset.query).length +
      Dataset.tracklets(world.dataset.gallery).length
    const frameBytes = H * W * 3
    const capped = await Effect.runPromise(
      loadWorld({
        world: { kind: "layout", layout: "mars", root, cacheMegabytes: (2 * tracklets * frameBytes) / 2 ** 20 },
        height: H,
        width: W,
        flip: 0.5
      })
    )
    expect(capped.name).toBe("MARS (at most 2 frames per tracklet)")
    expect(capped.train.every((t) => t.frames.length === 2)).toBe(true)
    expect(capped.loader!.cached()).toBe(2 * tracklets)
    const tooSmall = await Effect.runPromise(
      Effect.flip(
        loadWorld({
          world: { kind: "layout", layout: "mars", root, cacheMegabytes: frameBytes / 2 ** 20 },
          height: H,
          width: W,
          flip: 0.5
        })
      )
    )
    expect(tooSmall._tag).toBe("VideoDataInvalid")
    expect(tooSmall.message).toMatch(/cacheMegabytes/)
  })

  it("a missing dataset folder is a typed error showing the expected layout", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        loadWorld({
          world: { kind: "layout", layout: "dukeMTMCVideoReID", root: "/nonexistent/duke" },
          height: H,
          width: W,
          flip: 0.5
        })
      )
    )
    expect(error._tag).toBe("VideoDataInvalid")
    expect(error.message).toMatch(/\/nonexistent\/duke/)
    expect(error.message).toMatch(/train\/0001\/0001/)
  })
})
