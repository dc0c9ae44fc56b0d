import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import sharp from "sharp"
import * as Dataset from "../src/Dataset.ts"
import * as Loader from "../src/Loader.ts"
import * as Mat5 from "../src/readers/Mat5.ts"
import * as Readers from "../src/Readers.ts"
import * as Synthetic from "../src/Synthetic.ts"
import * as SyntheticExport from "../src/SyntheticExport.ts"

let tmp = ""
let png: Buffer
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-data-"))
  png = await sharp({ create: { width: 4, height: 8, channels: 3, background: { r: 200, g: 10, b: 50 } } })
    .png()
    .toBuffer()
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

/** Creates `files` (relative paths) under a fresh root; image files get a tiny valid PNG, others text. */
const tree = async (name: string, files: ReadonlyArray<string>, texts: Record<string, string | Uint8Array> = {}) => {
  const root = path.join(tmp, name)
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true })
    await fs.writeFile(path.join(root, f), png)
  }
  for (const [f, text] of Object.entries(texts)) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true })
    await fs.writeFile(path.join(root, f), text)
  }
  return root
}

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)
const fail = async <A, E>(e: Effect.Effect<A, E>): Promise<E> => {
  const exit = await Effect.runPromiseExit(e)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const err = exit.cause.reasons[0]
  return (err as unknown as { error: E }).error
}

describe("Market-1501 family", () => {
  it("Market-1501: identities and 0-based cameras, junk -1 skipped and counted, distractors 0000 kept, bad names reported", async () => {
    const root = await tree(
      "market",
      [
        "bounding_box_train/0002_c1s1_000451_03.jpg",
        "bounding_box_train/0002_c2s1_000301_01.jpg",
        "bounding_box_train/0007_c6s3_085592_02.jpg",
        "bounding_box_train/readme.jpg",
        "query/0003_c1s6_015971_00.jpg",
        "bounding_box_test/0003_c4s6_016046_00.jpg",
        "bounding_box_test/0000_c1s1_000151_01.jpg",
        "bounding_box_test/-1_c1s1_000401_03.jpg",
        "bounding_box_test/-1_c3s1_000951_01.jpg"
      ],
      { "bounding_box_train/Thumbs.db": "x" }
    )
    const ds = await run(Readers.market1501(root))
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [2, 0],
      [2, 1],
      [7, 5]
    ])
    expect(ds.query.map((i) => [i.id, i.cam])).toEqual([[3, 0]])
    expect(ds.gallery.map((i) => [i.id, i.cam]).sort()).toEqual([
      [0, 0],
      [3, 3]
    ])
    expect(ds.report?.skipped).toEqual({
      "bounding_box_train: name does not match /^([-\\d]+)_c(\\d)/": 1,
      "bounding_box_test: junk identity -1": 2
    })
    expect(ds.train[0]!.source).toEqual({
      _tag: "File",
      path: path.join(root, "bounding_box_train/0002_c1s1_000451_03.jpg")
    })
    // the index is described by its Schema (file items here, rendered items for the synthetic world)
    expect(Schema.is(Dataset.Dataset)(ds)).toBe(true)
    expect(Schema.is(Dataset.Dataset)(Synthetic.makeSync({ identities: 2, height: 16, width: 8 }).dataset)).toBe(true)
    expect(
      Schema.is(Dataset.Dataset)({ ...ds, train: [{ source: { _tag: "File", path: "x" }, id: 1, cam: -1 }] })
    ).toBe(false)
  })

  it("a missing folder is a DatasetNotFound that shows the expected layout", async () => {
    const err = await fail(Readers.market1501(path.join(tmp, "nowhere")))
    expect(err._tag).toBe("DatasetNotFound")
    expect(err.message).toMatch(
      /Market-1501: ".*nowhere" was not found. Expected layout:\n.*bounding_box_train\/ +0002_c1s1_000451_03.jpg/s
    )
    const partial = await tree("market-partial", ["bounding_box_train/0002_c1s1_000451_03.jpg"])
    const err2 = await fail(Readers.market1501(partial))
    expect(err2.message).toMatch(/query" was not found/)
  })

  it("DukeMTMC-reID, CUHK03-NP (labeled and detected) and VeRi-776 naming schemes", async () => {
    const duke = await tree("duke", [
      "bounding_box_train/0001_c2_f0046182.jpg",
      "query/0005_c8_f0012345.jpg",
      "bounding_box_test/0005_c1_f0012000.jpg"
    ])
    const d = await run(Readers.dukeMTMCReID(duke))
    expect([d.train[0]!.id, d.train[0]!.cam, d.query[0]!.cam, d.gallery[0]!.id]).toEqual([1, 1, 7, 5])
    const cuhk = await tree("cuhk", [
      "labeled/bounding_box_train/0001_c1_1.png",
      "labeled/query/0768_c2_3.png",
      "labeled/bounding_box_test/0768_c1_2.png",
      "detected/bounding_box_train/0001_c2_4.png",
      "detected/query/0768_c1_1.png",
      "detected/bounding_box_test/0768_c2_2.png"
    ])
    const lab = await run(Readers.cuhk03NP(cuhk, "labeled"))
    const det = await run(Readers.cuhk03NP(cuhk, "detected"))
    expect(lab.name).toBe("CUHK03-NP (labeled)")
    expect([lab.train[0]!.cam, det.train[0]!.cam, det.query[0]!.id]).toEqual([0, 1, 768])
    const veri = await tree("veri", [
      "image_train/0001_c001_00016450_0.jpg",
      "image_train/0001_c015_00016470_0.jpg",
      "image_query/0002_c002_00030600_0.jpg",
      "image_test/0002_c020_00084280_0.jpg"
    ])
    const v = await run(Readers.veri776(veri))
    expect(v.train.map((i) => i.cam)).toEqual([0, 14])
    expect(v.gallery[0]!.cam).toBe(19)
  })
})

describe("MSMT17", () => {
  const lists = (train: string, test: string) => ({
    "list_train.txt": `0000/0000_000_01_0303morning_0015_0.jpg 0\n0001/0001_002_05_0303noon_0020_1.jpg 1\n`,
    "list_val.txt": `0002/0002_000_14_0303afternoon_0001_0.jpg 2\nbroken line\n`,
    "list_query.txt": `0000/0000_010_15_0113morning_0001_0.jpg 0\n`,
    "list_gallery.txt": `0000/0000_011_03_0113noon_0002_0.jpg 0\n`,
    [`${train}/0000/0000_000_01_0303morning_0015_0.jpg`]: "x",
    [`${test}/0000/0000_010_15_0113morning_0001_0.jpg`]: "x"
  })
  it("V1 list files: label from the list, camera from the third field", async () => {
    const root = await tree("MSMT17_V1", [], lists("train", "test"))
    const ds = await run(Readers.msmt17(root))
    expect(ds.name).toBe("MSMT17_V1")
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [0, 0],
      [1, 4]
    ])
    expect(ds.query[0]!.cam).toBe(14)
    // test label 0 is another person than train label 0: shifted by testIdOffset
    expect(ds.query.map((i) => i.id)).toEqual([100_000])
    expect(ds.gallery.map((i) => i.id)).toEqual([100_000])
    expect(ds.train[0]!.source).toEqual({
      _tag: "File",
      path: path.join(root, "train/0000/0000_000_01_0303morning_0015_0.jpg")
    })
    const withVal = await run(Readers.msmt17(root, { includeVal: true }))
    expect(withVal.train.length).toBe(3)
    expect(Object.values(withVal.report!.skipped)).toEqual([1])
  })
  it("V2 is detected from its mask_*_v2 folders", async () => {
    const root = await tree("MSMT17_V2", [], lists("mask_train_v2", "mask_test_v2"))
    const ds = await run(Readers.msmt17(root))
    expect(ds.name).toBe("MSMT17_V2")
    expect(ds.gallery[0]!.source).toEqual({
      _tag: "File",
      path: path.join(root, "mask_test_v2/0000/0000_011_03_0113noon_0002_0.jpg")
    })
  })
})

describe("Mat5", () => {
  it("round-trips double matrices, compressed or not, column-major as MATLAB", () => {
    for (const compress of [true, false]) {
      const bytes = Mat5.write(
        [
          {
            name: "track_train_info",
            rows: [
              [1, 16, 1, 1],
              [17, 40, 1, 3]
            ]
          },
          { name: "q", rows: [[3, 4, 5]] }
        ],
        compress
      )
      const vars = Mat5.parse(bytes)
      expect(vars.map((v) => v.name)).toEqual(["track_train_info", "q"])
      expect(vars[0]!.dims).toEqual([2, 4])
      expect(Array.from(vars[0]!.data)).toEqual([1, 17, 16, 40, 1, 1, 1, 3])
      expect(Mat5.row(vars[0]!, 1)).toEqual([17, 40, 1, 3])
      expect(Mat5.row(vars[1]!, 0)).toEqual([3, 4, 5])
    }
    expect(() => Mat5.parse(new Uint8Array(200))).toThrow(/not a MATLAB 5.0 MAT-file/)
  })
})

describe("video layouts", () => {
  const marsNames = ["0001C1T0001F001.jpg", "0001C1T0001F002.jpg", "0001C2T0002F001.jpg"]
  const testNames = [
    "0002C1T0001F001.jpg",
    "0002C1T0001F002.jpg",
    "0002C3T0002F001.jpg",
    "0000C2T0003F001.jpg",
    "00-1C4T0004F001.jpg"
  ]
  const marsFiles = [
    ...marsNames.map((n) => `bbox_train/${n.slice(0, 4)}/${n}`),
    ...testNames.map((n) => `bbox_test/${n.slice(0, 4)}/${n}`)
  ]
  const marsInfo = {
    "info/train_name.txt": marsNames.join("\n"),
    "info/test_name.txt": testNames.join("\n")
  }
  const trainRows = [
    [1, 2, 1, 1],
    [3, 3, 1, 2]
  ]
  const testRows = [
    [1, 2, 2, 1],
    [3, 3, 2, 3],
    [4, 4, 0, 2],
    [5, 5, -1, 4]
  ]

  it("MARS with its .mat files: tracklets, junk skipped, query rows and the gallery", async () => {
    const root = await tree("mars-mat", marsFiles, {
      ...marsInfo,
      "info/tracks_train_info.mat": Mat5.write([{ name: "track_train_info", rows: trainRows }]),
      "info/tracks_test_info.mat": Mat5.write([{ name: "track_test_info", rows: testRows }]),
      "info/query_IDX.mat": Mat5.write([{ name: "query_IDX", rows: [[1]] }])
    })
    const ds = await run(Readers.mars(root))
    expect(ds.kind).toBe("video")
    const train = Dataset.tracklets(ds.train)
    expect(train.map((t) => [t.id, t.cam, t.frames.length])).toEqual([
      [1, 0, 2],
      [1, 1, 1]
    ])
    expect(train[0]!.frames[1]!.source).toEqual({
      _tag: "File",
      path: path.join(root, "bbox_train/0001/0001C1T0001F002.jpg")
    })
    expect(Dataset.tracklets(ds.query).map((t) => [t.id, t.frames.length])).toEqual([[2, 2]])
    expect(Dataset.tracklets(ds.gallery).map((t) => [t.id, t.cam])).toEqual([
      [2, 2],
      [0, 1]
    ])
    expect(Object.values(ds.report!.skipped)).toEqual([1])
  })

  it("MARS with CSV exports (and min frames), and a missing info file is a DatasetNotFound", async () => {
    const csv = (rows: ReadonlyArray<ReadonlyArray<number>>) =>
      "start,end,pid,camid\n" + rows.map((r) => r.join(",")).join("\n")
    const root = await tree("mars-csv", marsFiles, {
      ...marsInfo,
      "info/tracks_train_info.csv": csv(trainRows),
      "info/tracks_test_info.txt": testRows.map((r) => r.join(" ")).join("\n"),
      "info/query_IDX.csv": "1\n2"
    })
    const ds = await run(Readers.mars(root, { minFrames: 2 }))
    expect(Dataset.tracklets(ds.train).length).toBe(1)
    expect(Dataset.tracklets(ds.query).map((t) => t.id)).toEqual([2])
    await fs.rm(path.join(root, "info/query_IDX.csv"))
    const err = await fail(Readers.mars(root))
    expect(err._tag).toBe("DatasetNotFound")
    expect(err.message).toMatch(/query_IDX\.mat" was not found/)
  })

  it("DukeMTMC-VideoReID: <identity>/<tracklet>/<frames>, camera from the frame names", async () => {
    const root = await tree("duke-video", [
      "train/0001/0001/0001_C6_F0016_X30823.jpg",
      "train/0001/0001/0001_C6_F0017_X30823.jpg",
      "train/0001/0002/0001_C2_F0100_X30823.jpg",
      "query/0005/0001/0005_C1_F0001_X1.jpg",
      "gallery/0005/0003/0005_C4_F0001_X1.jpg",
      "gallery/0005/0004/bad.jpg"
    ])
    const ds = await run(Readers.dukeMTMCVideoReID(root))
    expect(Dataset.tracklets(ds.train).map((t) => [t.id, t.cam, t.frames.length])).toEqual([
      [1, 5, 2],
      [1, 1, 1]
    ])
    expect(ds.gallery.length).toBe(1)
    expect(Object.values(ds.report!.skipped)).toEqual([1])
  })
})

describe("generic layouts", () => {
  it("one folder per identity (with or without split folders)", async () => {
    const flat = await tree("folders", ["12/a_c2.jpg", "12/b.jpg", "alice/x.png", "alice/notes.txt"])
    const ds = await run(Readers.folders(flat))
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [12, 1],
      [12, 0],
      [0, 0]
    ])
    expect(Object.values(ds.report!.skipped)).toEqual([1])
    const split = await tree("folders-split", ["train/1/a.jpg", "query/2/q_c1.jpg", "gallery/2/g_c2.jpg"])
    const s = await run(Readers.folders(split))
    expect([s.train.length, s.query[0]!.cam, s.gallery[0]!.cam]).toEqual([1, 0, 1])
  })

  it("a CSV manifest: relative paths, splits, video columns, bad rows skipped, bad header an error", async () => {
    const root = await tree("manifest", [], {
      "m.csv":
        'path,id,cam,split,tracklet,frame\nimg/a.jpg,1,0,train,0,0\n"img/b,1.jpg",1,0,train,0,1\nimg/c.jpg,2,1,query,1,0\nimg/d.jpg,x,1,gallery,2,0\nimg/e.jpg,3,0,elsewhere,3,0\n',
      "bad.csv": "file,label\na.jpg,1\n"
    })
    const ds = await run(Readers.manifest(path.join(root, "m.csv")))
    expect(ds.kind).toBe("video")
    expect(ds.train.map((i) => i.source)).toEqual([
      { _tag: "File", path: path.join(root, "img/a.jpg") },
      { _tag: "File", path: path.join(root, "img/b,1.jpg") }
    ])
    expect(ds.query[0]).toMatchObject({ id: 2, cam: 1, tracklet: 1, frame: 0 })
    expect(Object.values(ds.report!.skipped)).toEqual([2])
    const err = await fail(Readers.manifest(path.join(root, "bad.csv")))
    expect(err.message).toMatch(/header must name the columns path,id,cam/)
  })
})

describe("corrupt images", () => {
  it("a corrupt file is an error naming it (verification and loading)", async () => {
    const root = await tree(
      "corrupt",
      [
        "bounding_box_train/0001_c1s1_000001_00.jpg",
        "query/0002_c1s1_000001_00.jpg",
        "bounding_box_test/0002_c2s1_000001_00.jpg"
      ],
      {
        "bounding_box_train/0003_c1s1_000001_00.jpg": "definitely not a jpeg"
      }
    )
    const ds = await run(Readers.market1501(root))
    const err = await fail(Readers.verifyImages(ds))
    expect(err._tag).toBe("CorruptImage")
    expect(err.message).toContain(path.join(root, "bounding_box_train/0003_c1s1_000001_00.jpg"))
    const bad = ds.train.find((i) => i.id === 3)!
    const err2 = await fail(Loader.load(bad, 8, 4))
    expect(err2.message).toMatch(/cannot decode image ".*0003_c1s1_000001_00.jpg"/)
    const good = await run(Loader.load(ds.train.find((i) => i.id === 1)!, 8, 4))
    expect(Array.from(good.data.slice(0, 3))).toEqual([200, 10, 50])
  })
})

describe("synthetic world on disk", () => {
  it("Market-1501 export is read back by the Market-1501 reader: same identities, cameras and pixels (png)", async () => {
    const world = Synthetic.makeSync({ identities: 6, cameras: 3, imagesPerCamera: 2, height: 32, width: 16 })
    const root = path.join(tmp, "synthetic-market")
    await run(SyntheticExport.writeMarket1501(world, root, { format: "png" }))
    const ds = await run(Readers.market1501(root))
    const key = (i: { id: number; cam: number }) => `${i.id}/${i.cam}`
    for (const split of ["train", "query", "gallery"] as const) {
      expect(ds[split].map(key).sort()).toEqual(world.dataset[split].map(key).sort())
    }
    expect(ds.report!.skipped).toEqual({})
    const item = ds.query[0]!
    const original = world.dataset.query.find(
      (i) => i.source._tag === "Rendered" && item.source._tag === "File" && item.source.path.includes(i.source.key)
    )!
    const decoded = await run(Loader.load(item, 32, 16))
    const rendered = await run(Loader.load(original, 32, 16))
    expect(decoded.data).toEqual(rendered.data)
  })

  it("MARS export (.mat info files) is read back by the MARS reader: same tracklets", async () => {
    const world = Synthetic.makeSync({
      identities: 6,
      cameras: 3,
      tracklets: { perCamera: 2, frames: 3 },
      height: 16,
      width: 8
    })
    const root = path.join(tmp, "synthetic-mars")
    await run(SyntheticExport.writeMars(world, root))
    const ds = await run(Readers.mars(root))
    const shape = (items: Parameters<typeof Dataset.tracklets>[0]) =>
      Dataset.tracklets(items)
        .map((t) => `${t.id}/${t.cam}/${t.frames.length}`)
        .sort()
    for (const split of ["train", "query", "gallery"] as const)
      expect(shape(ds[split])).toEqual(shape(world.dataset[split]))
    // the CSV copies give the same dataset
    await fs.rm(path.join(root, "info/tracks_train_info.mat"))
    const fromCsv = await run(Readers.mars(root))
    expect(shape(fromCsv.train)).toEqual(shape(ds.train))
  })
})
