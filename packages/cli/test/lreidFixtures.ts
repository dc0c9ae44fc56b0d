/**
 * Fixture trees of the LReID datasets, written under one folder (a test's REIDFX_DATA) in the sub-folders the
 * shipped protocols name: Market-1501, CUHK-SYSU (cuhksysu4reid), DukeMTMC-reID, MSMT17 V2, CUHK03-NP (detected)
 * and the seven LReID-Unseen sets, each in its own layout (file names, split files, GRID's .mat). Images are tiny
 * PNGs, one colour per identity.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Mat5 } from "@reidfx/data"
import sharp from "sharp"

const colours = new Map<string, Buffer>()
const image = async (key: string): Promise<Buffer> => {
  let png = colours.get(key)
  if (png === undefined) {
    let h = 0
    for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0
    png = await sharp({
      create: { width: 8, height: 16, channels: 3, background: { r: h & 255, g: (h >> 8) & 255, b: (h >> 16) & 255 } }
    })
      .png()
      .toBuffer()
    colours.set(key, png)
  }
  return png
}

/** Writes `files` (relative to `root`): images get the colour of their dataset + identity; `texts` are written as given. */
const write = async (
  root: string,
  images: ReadonlyArray<readonly [file: string, identity: string]>,
  texts: Record<string, string | Uint8Array> = {}
) => {
  for (const [file, id] of images) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await fs.writeFile(path.join(root, file), await image(`${root}/${id}`))
  }
  for (const [file, text] of Object.entries(texts)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await fs.writeFile(path.join(root, file), text)
  }
}

const pad = (n: number, width = 4) => String(n).padStart(width, "0")
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A Market-1501-style folder set: 4 train identities x 2 cameras x 2 images; 2 test identities, query camera 1, gallery camera 2 (+ a distractor). */
const marketLike = async (
  root: string,
  dirs: readonly [string, string, string],
  name: (id: number, cam: number, k: number) => string
) => {
  const train = [2, 7, 10, 11].flatMap((id) =>
    [1, 2].flatMap((cam) => [0, 1].map((k) => [`${dirs[0]}/${name(id, cam, k)}`, `${id}`] as const))
  )
  const query = [3, 5].map((id) => [`${dirs[1]}/${name(id, 1, 0)}`, `${id}`] as const)
  const gallery = [3, 5].flatMap((id) => [0, 1].map((k) => [`${dirs[2]}/${name(id, 2, k)}`, `${id}`] as const))
  await write(root, [...train, ...query, ...gallery, [`${dirs[2]}/${name(0, 3, 0)}`, "0"]])
}

/** Writes every dataset of protocols/lreid-seen-order1.yaml under `data`. */
export const writeLReIDFixtures = async (data: string): Promise<void> => {
  await marketLike(
    path.join(data, "market1501", "Market-1501-v15.09.15"),
    ["bounding_box_train", "query", "bounding_box_test"],
    (id, cam, k) => `${pad(id)}_c${cam}s1_00${pad(id * 10 + k, 4)}_0${k}.jpg`
  )
  await marketLike(
    path.join(data, "dukemtmc-reid", "DukeMTMC-reID"),
    ["bounding_box_train", "query", "bounding_box_test"],
    (id, cam, k) => `${pad(id)}_c${cam}_f00${pad(id * 10 + k, 5)}.jpg`
  )
  await marketLike(
    path.join(data, "cuhk03-np"),
    ["detected/bounding_box_train", "detected/query", "detected/bounding_box_test"],
    (id, cam, k) => `${pad(id)}_c${cam}_${k + 1}.png`
  )
  // MSMT17 V2: list files "<folder>/<file> <label>", camera the third field
  const msmt = path.join(data, "msmt17", "MSMT17_V2")
  const msmtName = (id: number, cam: number, k: number) =>
    `${pad(id)}/${pad(id)}_00${k}_${String(cam).padStart(2, "0")}_0303morning_00${k}5_0.jpg`
  const trainRows = [0, 1, 2, 3].flatMap((id) => [1, 2].flatMap((cam) => [0, 1].map((k) => msmtName(id, cam, k))))
  const queryRows = [0, 1].map((id) => msmtName(id, 3, 0))
  const galleryRows = [0, 1].flatMap((id) => [0, 1].map((k) => msmtName(id, 4, k)))
  await write(
    msmt,
    [
      ...trainRows.map((r) => [`mask_train_v2/${r}`, `train${r.slice(0, 4)}`] as const),
      ...[...queryRows, ...galleryRows].map((r) => [`mask_test_v2/${r}`, `test${r.slice(0, 4)}`] as const)
    ],
    {
      "list_train.txt": trainRows.map((r) => `${r} ${Number(r.slice(0, 4))}`).join("\n"),
      "list_val.txt": "",
      "list_query.txt": queryRows.map((r) => `${r} ${Number(r.slice(0, 4))}`).join("\n"),
      "list_gallery.txt": galleryRows.map((r) => `${r} ${Number(r.slice(0, 4))}`).join("\n")
    }
  )
  // CUHK-SYSU in the cuhksysu4reid layout: 4 train identities with 4 images each, 2 test identities
  const sysu = path.join(data, "cuhk-sysu", "CUHK-SYSU", "cuhksysu4reid")
  let box = 0
  const sysuName = (id: number) => `${pad(id, 5)}_s${100 + id}_${pad(++box, 7)}_0.jpg`
  await write(sysu, [
    ...[12, 15, 18, 21].flatMap((id) => range(1, 4).map(() => [`train/${sysuName(id)}`, `${id}`] as const)),
    ...[30, 31].map((id) => [`query/${sysuName(id)}`, `${id}`] as const),
    ...[30, 31].flatMap((id) => [0, 1].map(() => [`gallery/${sysuName(id)}`, `${id}`] as const))
  ])
  // the LReID-Unseen sets
  await write(
    path.join(data, "viper"),
    ["000_45", "001_0", "004_90", "007_180"].flatMap(
      (n) =>
        [
          [`VIPeR/cam_a/${n}.bmp`, n.slice(0, 3)],
          [`VIPeR/cam_b/${n.slice(0, 3)}_90.bmp`, n.slice(0, 3)]
        ] as const
    )
  )
  await write(
    path.join(data, "prid2011"),
    [
      ...range(1, 4).flatMap(
        (n) =>
          [
            [`prid_2011/single_shot/cam_a/person_${pad(n)}.png`, `${n}`],
            [`prid_2011/single_shot/cam_b/person_${pad(n)}.png`, `${n}`]
          ] as const
      ),
      [`prid_2011/single_shot/cam_b/person_0201.png`, "201"]
    ],
    { "splits_single_shot.json": JSON.stringify([{ train: [1, 2], test: [3, 4] }]) }
  )
  const numeric = (values: ReadonlyArray<number>): Mat5.MatValue => ({
    _tag: "Numeric",
    dims: [1, values.length],
    data: Float64Array.from(values)
  })
  await write(
    path.join(data, "grid"),
    [
      ...range(1, 4).map((n) => [`underground_reid/probe/${pad(n)}_${n}_2500${n}_107_32_130.jpeg`, `${n}`] as const),
      ...range(1, 4).map(
        (n) => [`underground_reid/gallery/${pad(n)}_${n + 4}_2600${n}_107_32_130.jpeg`, `${n}`] as const
      ),
      ["underground_reid/gallery/0000_8_27000_107_32_130.jpeg", "0"]
    ],
    {
      "underground_reid/features_and_partitions.mat": Mat5.writeValues([
        {
          name: "trainIdxAll",
          value: {
            _tag: "Cell",
            dims: [1, 1],
            cells: [
              {
                _tag: "Struct",
                dims: [1, 1],
                fields: ["idx_test", "idx_probe", "idx_train"],
                elements: [{ idx_test: numeric([3, 4]), idx_probe: numeric([3, 4]), idx_train: numeric([1, 2]) }]
              }
            ]
          }
        }
      ])
    }
  )
  await write(
    path.join(data, "ilids"),
    range(1, 4).flatMap(
      (n) =>
        [
          [`i-LIDS_Pedestrian/Persons/${pad(n)}001.jpg`, `${n}`],
          [`i-LIDS_Pedestrian/Persons/${pad(n)}002.jpg`, `${n}`]
        ] as const
    )
  )
  await write(
    path.join(data, "cuhk01"),
    range(1, 4).flatMap((n) => range(1, 4).map((k) => [`campus/${pad(n)}00${k}.png`, `${n}`] as const))
  )
  await write(
    path.join(data, "cuhk02"),
    ["P1", "P2", "P3", "P4", "P5"].flatMap((p) =>
      [1, 2].flatMap(
        (n) =>
          [
            [`Dataset/${p}/cam1/${pad(n)}_1.png`, `${p}${n}`],
            [`Dataset/${p}/cam2/${pad(n)}_3.png`, `${p}${n}`]
          ] as const
      )
    )
  )
  await write(path.join(data, "sensereid"), [
    ...[1, 2].map((n) => [`SenseReID/test_probe/${pad(n)}_0.jpg`, `${n}`] as const),
    ...[1, 2, 3].map((n) => [`SenseReID/test_gallery/${pad(n)}_1.jpg`, `${n}`] as const)
  ])
}
