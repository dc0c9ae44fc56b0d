import { Dataset, Decode, Synthetic, SyntheticExport } from "@reidfx/data"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as AblationTable from "../../src/mdkt/AblationTable.ts"
import * as Mdkt from "../../src/mdkt/Mdkt.ts"
import { type Tracklet, VideoWorld } from "@reidfx/video"
import { tinyProtocol } from "./fixtures.ts"

const { loadWorld } = VideoWorld
const wasm = Layer.fresh(Backend.layerWasmWith({ threads: 1 }))
const H = 16
const W = 8
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix))
const pad = (n: number, width: number) => String(n).padStart(width, "0")

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

/** Writes a synthetic video world as DukeMTMC-VideoReID: `<split>/<id>/<tracklet>/<id>_C<cam>_F<frame>_X<n>.png`. */
const writeDukeVideo = (world: Synthetic.SyntheticWorld, root: string) =>
  Effect.gen(function* () {
    let x = 0
    for (const split of ["train", "query", "gallery"] as const) {
      for (const [k, t] of Dataset.tracklets(world.dataset[split]).entries()) {
        const dir = path.join(root, split, pad(t.id, 4), pad(k + 1, 4))
        fs.mkdirSync(dir, { recursive: true })
        for (let f = 0; f < t.frames.length; f++) {
          yield* Decode.encode(
            render(t, f),
            path.join(dir, `${pad(t.id, 4)}_C${t.cam + 1}_F${pad(f + 1, 4)}_X${pad(x++, 5)}.png`)
          )
        }
      }
    }
  })

/** Writes a synthetic vehicle image world as VeRi-776: `image_{train,query,test}/0001_c001_00016450_0.png`. */
const writeVeri = (world: Synthetic.SyntheticWorld, root: string) =>
  Effect.gen(function* () {
    const folders = { train: "image_train", query: "image_query", gallery: "image_test" } as const
    for (const split of ["train", "query", "gallery"] as const) {
      const dir = path.join(root, folders[split])
      fs.mkdirSync(dir, { recursive: true })
      for (const [k, item] of world.dataset[split].entries()) {
        if (item.source._tag !== "Rendered") continue
        yield* Decode.encode(
          item.source.render(H, W),
          path.join(dir, `${pad(item.id, 4)}_c${pad(item.cam + 1, 3)}_${pad(1000 + k, 8)}_0.png`)
        )
      }
    }
  })

const normalised = (bytes: Uint8Array) =>
  Float32Array.from(bytes, (v, i) => (v / 255 - [0.485, 0.456, 0.406][i % 3]!) / [0.229, 0.224, 0.225][i % 3]!)

describe("MDKT on datasets on disk (real layouts, tiny fixture trees)", () => {
  it("MARS (written by SyntheticExport.writeMars with .mat info files): the frames decode to the rendered pixels; the protocol runs and prints both tables", async () => {
    const world = await Effect.runPromise(videoWorld())
    const root = tmp("mdkt-mars-")
    await Effect.runPromise(SyntheticExport.writeMars(world, root, { format: "png" }))
    expect(fs.existsSync(path.join(root, "info", "tracks_train_info.mat"))).toBe(true)
    const data = { world: { kind: "layout", layout: "mars", root }, height: H, width: W }
    const protocol = await Effect.runPromise(tinyProtocol({ data }))
    // the tracklets are the world's, and the loader serves each frame's pixels (png is lossless, no resize)
    const splits = await Effect.runPromise(loadWorld(protocol.data))
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
    // the whole protocol
    const runDir = tmp("mdkt-mars-run-")
    const { run, written } = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out: runDir, log: () => Effect.void }).pipe(Effect.provide(wasm))
    )
    expect(run.world).toMatchObject({ name: "MARS", objects: "persons", classes: 4 })
    // the report states the protocol: the official MARS gallery (queries included), first query frame, as TKP
    expect(run.world.protocol).toContain("official MARS protocol; I2V as TKP")
    expect(AblationTable.toText(run)).toContain(`evaluation: ${run.world.protocol}`)
    expect(fs.readFileSync(written.markdown, "utf8")).toContain(
      "Evaluation protocol: I2V: the first frame of each query tracklet"
    )
    for (const c of run.seeds[0]!.configurations) {
      for (const p of ["i2v", "v2v"] as const) {
        expect(c.student[p].queries).toBe(splits.query.length)
        expect(c.student[p].mAP).toBeGreaterThan(0)
      }
    }
    const text = AblationTable.toText(run)
    expect(text).toMatch(/Table 1/)
    expect(text).toMatch(/Table 2/)
    expect(fs.readFileSync(written.markdown, "utf8")).toMatch(/\| Models/)
  })

  it("DukeMTMC-VideoReID (a tree written with its naming scheme): the protocol runs on it", async () => {
    const world = await Effect.runPromise(videoWorld())
    const root = tmp("mdkt-duke-")
    await Effect.runPromise(writeDukeVideo(world, root))
    const protocol = await Effect.runPromise(
      tinyProtocol({
        data: { world: { kind: "layout", layout: "dukemtmcVideoReid", root }, height: H, width: W },
        tables: { table1: [{ label: "TR", terms: ["tr"] }], table2: "none" }
      })
    )
    const { run } = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out: tmp("mdkt-duke-run-"), log: () => Effect.void }).pipe(Effect.provide(wasm))
    )
    expect(run.world).toMatchObject({
      name: "DukeMTMC-VideoReID",
      objects: "persons",
      classes: 4,
      train: Dataset.tracklets(world.dataset.train).length
    })
    const scores = run.seeds[0]!.configurations[0]!.student
    expect(scores.v2v.queries).toBe(Dataset.tracklets(world.dataset.query).length)
    expect(AblationTable.toText(run)).toMatch(/TR/)
  })

  it("VeRi-776 (images grouped into vehicle x camera tracks): reported as top-1 / top-5 / mAP", async () => {
    const world = await Effect.runPromise(
      Synthetic.make({
        kind: "vehicle",
        seed: 5,
        identities: 8,
        trainIdentities: 4,
        cameras: 2,
        imagesPerCamera: 3,
        height: H,
        width: W,
        difficulty: { ...Synthetic.presets.easy }
      })
    )
    const root = tmp("mdkt-veri-")
    await Effect.runPromise(writeVeri(world, root))
    const protocol = await Effect.runPromise(
      tinyProtocol({
        data: { world: { kind: "layout", layout: "veri776", root }, height: H, width: W },
        tables: { table1: [{ label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }], table2: "none" }
      })
    )
    const splits = await Effect.runPromise(loadWorld(protocol.data))
    // one track per (vehicle, camera) and split, its images in name order
    const expected = new Set(world.dataset.train.map((i) => `${i.id}/${i.cam}`)).size
    expect(splits.train).toHaveLength(expected)
    expect(
      splits.train.every((t) => t.frames.length === 3 && t.frames.every((f) => f.id === t.id && f.cam === t.cam))
    ).toBe(true)
    const { run } = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out: tmp("mdkt-veri-run-"), log: () => Effect.void }).pipe(Effect.provide(wasm))
    )
    expect(run.world.objects).toBe("vehicles")
    const text = AblationTable.toText(run)
    expect(text).toMatch(/top1/)
    expect(text).toMatch(/top5/)
  })
})
