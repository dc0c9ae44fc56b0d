/**
 * The readers of the LReID datasets (CUHK-SYSU in `cuhksysu4reid`, and the seven LReID-Unseen sets), each on a
 * small tree written in its layout (file names, split files, `.mat` where the real set has one), and each
 * rejecting a broken tree with a typed error.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import { deflateSync } from "node:zlib"
import type * as Dataset from "../src/Dataset.ts"
import * as Mat5 from "../src/readers/Mat5.ts"
import * as Readers from "../src/Readers.ts"

let tmp = ""
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-lreid-"))
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

let trees = 0
/** Writes `files` (relative paths; images get a few bytes, readers only list them) and `texts` under a fresh root. */
const tree = async (files: ReadonlyArray<string>, texts: Record<string, string | Uint8Array> = {}) => {
  const root = path.join(tmp, `t${trees++}`)
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true })
    await fs.writeFile(path.join(root, f), "img")
  }
  for (const [f, text] of Object.entries(texts)) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true })
    await fs.writeFile(path.join(root, f), text)
  }
  return root
}

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)
const failure = async <A, E>(
  e: Effect.Effect<A, E>
): Promise<E & { readonly _tag: string; readonly message: string }> => {
  const exit = await Effect.runPromiseExit(e)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return (exit.cause.reasons[0] as unknown as { error: E & { readonly _tag: string; readonly message: string } }).error
}
/** `[file name, id, cam]` of each item, sorted. */
const rows = (items: Dataset.Dataset["train"]) =>
  items
    .map((i) => [path.basename(i.source._tag === "File" ? i.source.path : ""), i.id, i.cam] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[2] - b[2]))

describe("CUHK-SYSU (cuhksysu4reid)", () => {
  const files = [
    ...["0000001", "0000002", "0000003", "0000004"].map((b) => `train/00012_s100_${b}_0.jpg`),
    ...["0000005", "0000006", "0000007"].map((b) => `train/00015_s200_${b}_1.jpg`),
    "train/notes.jpg",
    "query/00020_s300_0000008_0.jpg",
    "gallery/00020_s301_0000009_0.jpg",
    "gallery/00020_s302_0000010_1.jpg"
  ]
  it("keeps train identities with >= 4 images (LReID's subcuhksysu); query camera 1, gallery 0; bad names counted", async () => {
    const ds = await run(Readers.cuhkSysu(await tree(files)))
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [12, 0],
      [12, 0],
      [12, 0],
      [12, 0]
    ])
    expect(rows(ds.query)).toEqual([["00020_s300_0000008_0.jpg", 20, 1]])
    expect(rows(ds.gallery)).toEqual([
      ["00020_s301_0000009_0.jpg", 20, 0],
      ["00020_s302_0000010_1.jpg", 20, 0]
    ])
    expect(ds.report?.skipped).toEqual({
      "train: name does not match <identity>_s<scene>_<box>_<hard>.jpg": 1,
      "train: identities with fewer than 4 images (LReID's subcuhksysu)": 3
    })
  })
  it("minImagesPerIdentity 1 keeps every train identity", async () => {
    const ds = await run(Readers.cuhkSysu(await tree(files), { minImagesPerIdentity: 1 }))
    expect([...new Set(ds.train.map((i) => i.id))]).toEqual([12, 15])
  })
  it("a missing split folder is DatasetNotFound showing the layout; a train identity in the gallery is IdentityOverlap", async () => {
    const missing = await failure(Readers.cuhkSysu(await tree(files.filter((f) => !f.startsWith("gallery/")))))
    expect(missing._tag).toBe("DatasetNotFound")
    expect(missing.message).toContain("cuhksysu4reid/")
    const overlap = await failure(Readers.cuhkSysu(await tree([...files, "gallery/00012_s999_0000011_0.jpg"])))
    expect(overlap._tag).toBe("IdentityOverlap")
    expect(overlap.message).toContain("e.g. 12")
  })
})

describe("VIPeR", () => {
  const files = ["000_45.bmp", "003_0.bmp", "005_90.bmp", "009_180.bmp"].flatMap((n) => [
    `VIPeR/cam_a/${n}`,
    `VIPeR/cam_b/${n.replace(/_\d+/, "_90")}`
  ])
  // torchreid's split file: absolute paths of another machine, labels renumbered per split
  const split = (q: string, g: string) => ({
    train: [
      ["/home/x/viper/VIPeR/cam_a/000_45.bmp", 0, 0],
      ["/home/x/viper/VIPeR/cam_b/000_90.bmp", 0, 1],
      ["/home/x/viper/VIPeR/cam_a/005_90.bmp", 1, 0],
      ["/home/x/viper/VIPeR/cam_b/005_90.bmp", 1, 1]
    ],
    query: [
      [`/home/x/viper/VIPeR/${q}/003_${q === "cam_a" ? "0" : "90"}.bmp`, 0, q === "cam_a" ? 0 : 1],
      [`/home/x/viper/VIPeR/${q}/009_${q === "cam_a" ? "180" : "90"}.bmp`, 1, q === "cam_a" ? 0 : 1]
    ],
    gallery: [
      [`/home/x/viper/VIPeR/${g}/003_${g === "cam_a" ? "0" : "90"}.bmp`, 0, g === "cam_a" ? 0 : 1],
      [`/home/x/viper/VIPeR/${g}/009_${g === "cam_a" ? "180" : "90"}.bmp`, 1, g === "cam_a" ? 0 : 1]
    ]
  })
  it("reads split 0 of splits.json by file name: identities from the names, cam_a query / cam_b gallery; split 1 reverses", async () => {
    const root = await tree(files, {
      "splits.json": JSON.stringify([split("cam_a", "cam_b"), split("cam_b", "cam_a")])
    })
    const ds = await run(Readers.viper(root))
    expect(rows(ds.train)).toEqual([
      ["000_45.bmp", 0, 0],
      ["000_90.bmp", 0, 1],
      ["005_90.bmp", 5, 0],
      ["005_90.bmp", 5, 1]
    ])
    expect(rows(ds.query)).toEqual([
      ["003_0.bmp", 3, 0],
      ["009_180.bmp", 9, 0]
    ])
    expect(rows(ds.gallery)).toEqual([
      ["003_90.bmp", 3, 1],
      ["009_90.bmp", 9, 1]
    ])
    const reversed = await run(Readers.viper(root, { split: 1 }))
    expect(reversed.query.map((i) => i.cam)).toEqual([1, 1])
  })
  it("without splits.json: a seeded half / half split of whole pairs, the same for the same seed", async () => {
    const root = await tree(files)
    const a = await run(Readers.viper(root, { seed: 3 }))
    const b = await run(Readers.viper(root, { seed: 3 }))
    expect(a).toEqual(b)
    expect(new Set(a.train.map((i) => i.id)).size).toBe(2)
    expect(a.train.length).toBe(4)
    expect(a.query.map((i) => i.id).sort()).toEqual(a.gallery.map((i) => i.id).sort())
    expect(a.query.every((i) => i.cam === 0) && a.gallery.every((i) => i.cam === 1)).toBe(true)
  })
  it("property: for any seed, the drawn split is a partition of the identities into floor(n / 2) train and the rest test", async () => {
    const root = await tree(files)
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1_000_000 }), fc.nat({ max: 3 }), async (seed, split) => {
        const ds = await run(Readers.viper(root, { seed, split }))
        const train = new Set(ds.train.map((i) => i.id))
        const test = new Set(ds.query.map((i) => i.id))
        expect(train.size).toBe(2)
        expect([...train, ...test].sort((a, b) => a - b)).toEqual([0, 3, 5, 9])
        expect(ds.gallery.map((i) => i.id)).toEqual(ds.query.map((i) => i.id))
        expect(ds.query.every((i) => i.cam === split % 2)).toBe(true)
      }),
      { numRuns: 25 }
    )
  })
  it("rejects unpaired cameras, a split naming a missing file, and a split training on a test identity", async () => {
    expect((await failure(Readers.viper(await tree(files.slice(1))))).message).toContain("pairs them one to one")
    const bad = split("cam_a", "cam_b")
    const missing = await failure(
      Readers.viper(
        await tree(files, {
          "splits.json": JSON.stringify([{ ...bad, gallery: [["/x/VIPeR/cam_b/777_90.bmp", 0, 1]] }])
        })
      )
    )
    expect(missing._tag).toBe("MalformedMetadata")
    expect(missing.message).toContain("777_90.bmp")
    const overlap = await failure(
      Readers.viper(
        await tree(files, {
          "splits.json": JSON.stringify([{ ...bad, train: [...bad.train, ["/x/VIPeR/cam_a/003_0.bmp", 2, 0]] }])
        })
      )
    )
    expect(overlap._tag).toBe("IdentityOverlap")
    expect((await failure(Readers.viper(await tree(files.filter((f) => !f.includes("cam_b"))))))._tag).toBe(
      "DatasetNotFound"
    )
  })
})

describe("PRID2011 (single shot)", () => {
  const p = (cam: string, n: number) => `prid_2011/single_shot/${cam}/person_${String(n).padStart(4, "0")}.png`
  const files = [...[1, 2, 3, 4, 201].map((n) => p("cam_a", n)), ...[1, 2, 3, 4, 201, 202].map((n) => p("cam_b", n))]
  it("split file: train both views; query cam_a of test persons; gallery cam_b of test persons plus cam_b persons above 200", async () => {
    const ds = await run(
      Readers.prid(await tree(files, { "splits_single_shot.json": JSON.stringify([{ train: [1, 3], test: [2, 4] }]) }))
    )
    expect(rows(ds.train)).toEqual([
      ["person_0001.png", 1, 0],
      ["person_0001.png", 1, 1],
      ["person_0003.png", 3, 0],
      ["person_0003.png", 3, 1]
    ])
    expect(rows(ds.query)).toEqual([
      ["person_0002.png", 2, 0],
      ["person_0004.png", 4, 0]
    ])
    expect(rows(ds.gallery)).toEqual([
      ["person_0002.png", 2, 1],
      ["person_0004.png", 4, 1],
      ["person_0201.png", 201, 1],
      ["person_0202.png", 202, 1]
    ])
  })
  it("rejects a split person without an image, a person outside 1..200, and train / test overlap", async () => {
    const missing = await failure(
      Readers.prid(await tree(files, { "splits_single_shot.json": JSON.stringify([{ train: [1, 5], test: [2] }]) }))
    )
    expect(missing.message).toContain("person_0005.png")
    const outside = await failure(
      Readers.prid(await tree(files, { "splits_single_shot.json": JSON.stringify([{ train: [201], test: [2] }]) }))
    )
    expect(outside.message).toContain("person 201")
    const overlap = await failure(
      Readers.prid(await tree(files, { "splits_single_shot.json": JSON.stringify([{ train: [1, 2], test: [2] }]) }))
    )
    expect(overlap._tag).toBe("IdentityOverlap")
    const badName = await failure(
      Readers.prid(await tree([...files, "prid_2011/single_shot/cam_a/img_7.png"], { "splits_single_shot.json": "[]" }))
    )
    expect(badName.message).toContain("person_<number>.png")
  })
})

describe("GRID", () => {
  const files = [
    "underground_reid/probe/0001_1_25004_107_32_130.jpeg",
    "underground_reid/probe/0002_2_25005_107_32_130.jpeg",
    "underground_reid/probe/0003_3_25006_107_32_130.jpeg",
    "underground_reid/gallery/0001_5_25007_107_32_130.jpeg",
    "underground_reid/gallery/0002_6_25008_107_32_130.jpeg",
    "underground_reid/gallery/0003_7_25009_107_32_130.jpeg",
    "underground_reid/gallery/0000_8_25010_107_32_130.jpeg"
  ]
  const numeric = (values: ReadonlyArray<number>): Mat5.MatValue => ({
    _tag: "Numeric",
    dims: [1, values.length],
    data: Float64Array.from(values)
  })
  const partition = (train: ReadonlyArray<number>): Mat5.MatValue => ({
    _tag: "Struct",
    dims: [1, 1],
    fields: ["idx_probe", "idx_gallery", "idx_train"],
    elements: [{ idx_probe: numeric([9]), idx_gallery: numeric([9]), idx_train: numeric(train) }]
  })
  const mat = Mat5.writeValues([
    { name: "trainIdxAll", value: { _tag: "Cell", dims: [1, 2], cells: [partition([1]), partition([2, 3])] } }
  ])
  it("the .mat's cell of structs round-trips through Mat5", () => {
    const [v] = Mat5.parseValues(mat)
    expect(v?.name).toBe("trainIdxAll")
    expect(
      v?.value._tag === "Cell" && v.value.cells[1]?._tag === "Struct"
        ? Array.from((v.value.cells[1].elements[0]!.idx_train as { data: Float64Array }).data)
        : []
    ).toEqual([2, 3])
  })
  it("reads the .mat compressed too (MATLAB -v7 wraps each variable in a zlib miCOMPRESSED element)", async () => {
    const body = mat.subarray(128)
    const z = deflateSync(body)
    const tag = new Uint8Array(8)
    new DataView(tag.buffer).setUint32(0, 15, true)
    new DataView(tag.buffer).setUint32(4, z.length, true)
    const compressed = new Uint8Array(128 + 8 + z.length)
    compressed.set(mat.subarray(0, 128))
    compressed.set(tag, 128)
    compressed.set(z, 136)
    const root = await tree(files, { "underground_reid/features_and_partitions.mat": compressed })
    expect([...new Set((await run(Readers.grid(root, { split: 1 }))).train.map((i) => i.id))]).toEqual([2, 3])
  })
  it("split k of trainIdxAll: train identities' probe and gallery images train; other probes query; other gallery images (distractors 0 too) gallery", async () => {
    const root = await tree(files, { "underground_reid/features_and_partitions.mat": mat })
    const ds = await run(Readers.grid(root))
    expect(rows(ds.train)).toEqual([
      ["0001_1_25004_107_32_130.jpeg", 1, 0],
      ["0001_5_25007_107_32_130.jpeg", 1, 4]
    ])
    expect(rows(ds.query).map((r) => r[1])).toEqual([2, 3])
    expect(rows(ds.gallery).map((r) => [r[1], r[2]])).toEqual([
      [0, 7],
      [2, 5],
      [3, 6]
    ])
    const second = await run(Readers.grid(root, { split: 1 }))
    expect([...new Set(second.train.map((i) => i.id))]).toEqual([2, 3])
  })
  it("a torchreid splits.json is used instead of the .mat", async () => {
    const root = await tree(files, {
      "splits.json": JSON.stringify([
        { train: [["/x/underground_reid/probe/0003_3_25006_107_32_130.jpeg", 0, 2]], query: [], gallery: [] }
      ])
    })
    expect([...new Set((await run(Readers.grid(root))).train.map((i) => i.id))]).toEqual([3])
  })
  it("rejects a missing partitions file, a .mat without trainIdxAll, and a bad name", async () => {
    expect((await failure(Readers.grid(await tree(files))))._tag).toBe("DatasetNotFound")
    const other = Mat5.writeValues([{ name: "somethingElse", value: numeric([1]) }])
    expect(
      (await failure(Readers.grid(await tree(files, { "underground_reid/features_and_partitions.mat": other }))))
        .message
    ).toContain("trainIdxAll")
    expect(
      (
        await failure(
          Readers.grid(
            await tree([...files, "underground_reid/probe/x.jpeg"], {
              "underground_reid/features_and_partitions.mat": mat
            })
          )
        )
      ).message
    ).toContain("<identity>_<camera>")
  })
})

describe("i-LIDS", () => {
  const files = ["0001001", "0001002", "0002001", "0002003", "0003001", "0003002", "0004002", "0004003"].map(
    (n) => `i-LIDS_Pedestrian/Persons/${n}.jpg`
  )
  it("split file of names: train / query / gallery, cameras from name[4:7]", async () => {
    const root = await tree(files, {
      "splits.json": JSON.stringify([
        {
          train: ["0001001.jpg", "0001002.jpg", "0002001.jpg", "0002003.jpg"],
          query: ["0003001.jpg", "0004002.jpg"],
          gallery: ["0003002.jpg", "0004003.jpg"]
        }
      ])
    })
    const ds = await run(Readers.ilids(root))
    expect(rows(ds.train)).toEqual([
      ["0001001.jpg", 1, 0],
      ["0001002.jpg", 1, 1],
      ["0002001.jpg", 2, 0],
      ["0002003.jpg", 2, 2]
    ])
    expect(rows(ds.query)).toEqual([
      ["0003001.jpg", 3, 0],
      ["0004002.jpg", 4, 1]
    ])
    expect(rows(ds.gallery)).toEqual([
      ["0003002.jpg", 3, 1],
      ["0004003.jpg", 4, 2]
    ])
  })
  it("without a split file: floor(n / 2) identities train, one query and one gallery image per test identity, seeded", async () => {
    const root = await tree(files)
    const ds = await run(Readers.ilids(root, { seed: 1 }))
    expect(ds).toEqual(await run(Readers.ilids(root, { seed: 1 })))
    expect(new Set(ds.train.map((i) => i.id)).size).toBe(2)
    expect(ds.query.map((i) => i.id)).toEqual(ds.gallery.map((i) => i.id))
    expect(ds.query.length).toBe(2)
  })
  it("rejects a bad name and an overlapping split", async () => {
    expect(
      (await failure(Readers.ilids(await tree([...files, "i-LIDS_Pedestrian/Persons/p1.jpg"])))).message
    ).toContain("<identity, 4 digits>")
    const overlap = await failure(
      Readers.ilids(
        await tree(files, {
          "splits.json": JSON.stringify([{ train: ["0003001.jpg"], query: ["0003002.jpg"], gallery: [] }])
        })
      )
    )
    expect(overlap._tag).toBe("IdentityOverlap")
  })
})

describe("CUHK01", () => {
  const files = [
    "0001001",
    "0001002",
    "0001003",
    "0001004",
    "0002001",
    "0002004",
    "0003002",
    "0003003",
    "0004001",
    "0004004"
  ].map((n) => `campus/${n}.png`)
  it("images 1-2 are view 0, 3-4 view 1; without a split file half the identities train, view 0 query, view 1 gallery", async () => {
    const ds = await run(Readers.cuhk01(await tree(files)))
    expect(rows([...ds.train, ...ds.query, ...ds.gallery]).map((r) => [r[0], r[2]])).toEqual(
      files
        .map((f) => path.basename(f))
        .sort()
        .map((n) => [n, ["001", "002"].includes(n.slice(4, 7)) ? 0 : 1])
    )
    expect(new Set(ds.train.map((i) => i.id)).size).toBe(2)
    expect(ds.query.every((i) => i.cam === 0) && ds.gallery.every((i) => i.cam === 1)).toBe(true)
    expect((await run(Readers.cuhk01(await tree(files), { split: 1 }))).query.every((i) => i.cam === 1)).toBe(true)
  })
  it("reads a torchreid split file by file name; rejects a bad name", async () => {
    const entry = (n: string, cam: number) => [`/x/cuhk01/campus/${n}.png`, 0, cam]
    const root = await tree(files, {
      "splits.json": JSON.stringify([
        {
          train: [entry("0004001", 0), entry("0004004", 1)],
          query: [entry("0002001", 0)],
          gallery: [entry("0002004", 1)]
        }
      ])
    })
    const ds = await run(Readers.cuhk01(root))
    expect(rows(ds.train)).toEqual([
      ["0004001.png", 4, 0],
      ["0004004.png", 4, 1]
    ])
    expect(rows(ds.query)).toEqual([["0002001.png", 2, 0]])
    expect((await failure(Readers.cuhk01(await tree([...files, "campus/12.png"])))).message).toContain(
      "<identity, 4 digits>"
    )
  })
})

describe("CUHK02", () => {
  const files = ["P1", "P2", "P3", "P4", "P5"].flatMap((pair) => [
    `Dataset/${pair}/cam1/0001_1.png`,
    `Dataset/${pair}/cam2/0001_3.png`
  ])
  it("P1-P4 train, P5 cam1 query and cam2 gallery; cameras 0..9 over the pairs; identities never shared across pairs", async () => {
    const ds = await run(Readers.cuhk02(await tree(files)))
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [10001, 0],
      [10001, 1],
      [20001, 2],
      [20001, 3],
      [30001, 4],
      [30001, 5],
      [40001, 6],
      [40001, 7]
    ])
    expect(ds.query.map((i) => [i.id, i.cam])).toEqual([[50001, 8]])
    expect(ds.gallery.map((i) => [i.id, i.cam])).toEqual([[50001, 9]])
  })
  it("rejects a missing pair folder and a bad name", async () => {
    expect((await failure(Readers.cuhk02(await tree(files.filter((f) => !f.includes("P3/")))))).message).toContain("P3")
    expect((await failure(Readers.cuhk02(await tree([...files, "Dataset/P1/cam1/x.png"])))).message).toContain(
      "<identity>_<image>.png"
    )
  })
})

describe("SenseReID", () => {
  it("test_probe is the query, test_gallery the gallery, no train; cameras from the names", async () => {
    const ds = await run(
      Readers.senseReID(
        await tree([
          "SenseReID/test_probe/0001_0.jpg",
          "SenseReID/test_gallery/0001_1.jpg",
          "SenseReID/test_gallery/0002_1.jpg"
        ])
      )
    )
    expect(ds.train).toEqual([])
    expect(rows(ds.query)).toEqual([["0001_0.jpg", 1, 0]])
    expect(rows(ds.gallery)).toEqual([
      ["0001_1.jpg", 1, 1],
      ["0002_1.jpg", 2, 1]
    ])
  })
  it("rejects a missing folder and a bad name", async () => {
    expect((await failure(Readers.senseReID(await tree(["SenseReID/test_probe/0001_0.jpg"]))))._tag).toBe(
      "DatasetNotFound"
    )
    expect(
      (
        await failure(
          Readers.senseReID(await tree(["SenseReID/test_probe/0001.jpg", "SenseReID/test_gallery/0001_1.jpg"]))
        )
      ).message
    ).toContain("<identity>_<camera>.jpg")
  })
})
