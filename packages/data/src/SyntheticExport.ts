/**
 * Writes a synthetic world to disk in the layouts of the real benchmarks, so that the real readers read it:
 * Market-1501 for image worlds, MARS (with its `.mat` info files, and CSV copies) for video worlds, and the
 * rendered persons' keypoints and boxes as a COCO keypoint file (`CocoKeypoints` reads it).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "./Dataset.ts"
import { type CorruptImage, MalformedMetadata } from "./errors.ts"
import type { Item } from "./Item.ts"
import { encode } from "./pipeline/Decode.ts"
import * as Mat5 from "./readers/Mat5.ts"
import type { SyntheticWorld } from "./Synthetic.ts"
import { cocoKeypointNames } from "./synthetic/Annotations.ts"

const mkdir = (dir: string) =>
  Effect.tryPromise({
    try: () => fs.mkdir(dir, { recursive: true }),
    catch: (e) => new MalformedMetadata({ path: dir, detail: `cannot create: ${String(e)}` })
  })
const writeText = (file: string, text: string | Uint8Array) =>
  Effect.tryPromise({
    try: () => fs.writeFile(file, text),
    catch: (e) => new MalformedMetadata({ path: file, detail: `cannot write: ${String(e)}` })
  })

const renderTo = (item: Item, file: string, world: SyntheticWorld) =>
  item.source._tag === "Rendered"
    ? encode(item.source.render(world.options.height, world.options.width), file)
    : Effect.void

/** Options of the export of a synthetic world to image files in a real dataset's layout. */
export interface ExportOptions {
  /** Image format (default "jpg" as the originals; "png" is lossless). */
  readonly format?: "jpg" | "png"
  /** Files written concurrently (default 4). */
  readonly concurrency?: number
}

/**
 * Writes an image world as Market-1501: `bounding_box_train/`, `query/`, `bounding_box_test/` with names
 * `0001_c1s1_000000_00.jpg`. Needs at most 9 cameras (one digit, as in Market-1501).
 */
export const writeMarket1501 = (
  world: SyntheticWorld,
  root: string,
  options: ExportOptions = {}
): Effect.Effect<void, CorruptImage | MalformedMetadata> =>
  Effect.gen(function* () {
    if (world.dataset.kind !== "image")
      return yield* new MalformedMetadata({
        path: root,
        detail: "writeMarket1501 needs an image world (no `tracklets` option)"
      })
    if (world.options.identities > 9999)
      return yield* new MalformedMetadata({
        path: root,
        detail: "Market-1501 names have 4-digit identities: at most 9999 identities"
      })
    const ext = options.format ?? "jpg"
    const jobs: Array<readonly [Item, string]> = []
    for (const [split, folder] of [
      ["train", "bounding_box_train"],
      ["query", "query"],
      ["gallery", "bounding_box_test"]
    ] as const) {
      yield* mkdir(path.join(root, folder))
      for (const item of world.dataset[split]) {
        if (item.source._tag === "Rendered") jobs.push([item, path.join(root, folder, `${item.source.key}.${ext}`)])
      }
    }
    yield* Effect.forEach(jobs, ([item, file]) => renderTo(item, file, world), {
      concurrency: options.concurrency ?? 4,
      discard: true
    })
  })

/**
 * Writes a video world as MARS: `bbox_train/<id>/<name>`, `bbox_test/<id>/<name>` with names
 * `0001C1T0003F001.jpg`, and `info/` with the name lists, `tracks_{train,test}_info.mat` (rows
 * `start end identity camera`, 1-based), `query_IDX.mat`, plus `.csv` copies of the three tables.
 */
export const writeMars = (
  world: SyntheticWorld,
  root: string,
  options: ExportOptions = {}
): Effect.Effect<void, CorruptImage | MalformedMetadata> =>
  Effect.gen(function* () {
    if (world.dataset.kind !== "video")
      return yield* new MalformedMetadata({
        path: root,
        detail: "writeMars needs a video world (set the `tracklets` option)"
      })
    if (world.options.identities > 9999)
      return yield* new MalformedMetadata({
        path: root,
        detail: "MARS names have 4-digit identities: at most 9999 identities"
      })
    const ext = options.format ?? "jpg"
    const info = path.join(root, "info")
    yield* mkdir(info)
    const jobs: Array<readonly [Item, string]> = []
    const table = (tracks: ReadonlyArray<Dataset.Tracklet>, dir: string, names: Array<string>) =>
      tracks.map((t) => {
        const start = names.length + 1
        for (const frame of t.frames) {
          if (frame.source._tag !== "Rendered") continue
          const name = `${frame.source.key}.${ext}`
          names.push(name)
          jobs.push([frame, path.join(root, dir, name.slice(0, 4), name)])
        }
        return [start, names.length, t.id, t.cam + 1]
      })
    const trainNames: Array<string> = []
    const testNames: Array<string> = []
    const trainRows = table(Dataset.tracklets(world.dataset.train), "bbox_train", trainNames)
    const queryTracks = Dataset.tracklets(world.dataset.query)
    const testRows = table([...queryTracks, ...Dataset.tracklets(world.dataset.gallery)], "bbox_test", testNames)
    const queryIdx = queryTracks.map((_, i) => [i + 1])
    for (const [item, file] of jobs) if (item.id >= 0) yield* mkdir(path.dirname(file))
    yield* writeText(path.join(info, "train_name.txt"), trainNames.join("\n") + "\n")
    yield* writeText(path.join(info, "test_name.txt"), testNames.join("\n") + "\n")
    yield* writeText(
      path.join(info, "tracks_train_info.mat"),
      Mat5.write([{ name: "track_train_info", rows: trainRows }])
    )
    yield* writeText(path.join(info, "tracks_test_info.mat"), Mat5.write([{ name: "track_test_info", rows: testRows }]))
    yield* writeText(
      path.join(info, "query_IDX.mat"),
      Mat5.write([{ name: "query_IDX", rows: [queryIdx.map((r) => r[0]!)] }])
    )
    const csv = (rows: ReadonlyArray<ReadonlyArray<number>>) => rows.map((r) => r.join(",")).join("\n") + "\n"
    yield* writeText(path.join(info, "tracks_train_info.csv"), csv(trainRows))
    yield* writeText(path.join(info, "tracks_test_info.csv"), csv(testRows))
    yield* writeText(path.join(info, "query_IDX.csv"), csv(queryIdx))
    yield* Effect.forEach(jobs, ([item, file]) => renderTo(item, file, world), {
      concurrency: options.concurrency ?? 4,
      discard: true
    })
  })

/** COCO's person skeleton (1-based keypoint pairs), as in `person_keypoints_*.json`. */
const cocoSkeleton = [
  [16, 14],
  [14, 12],
  [17, 15],
  [15, 13],
  [12, 13],
  [6, 12],
  [7, 13],
  [6, 7],
  [6, 8],
  [7, 9],
  [8, 10],
  [9, 11],
  [2, 3],
  [1, 2],
  [1, 3],
  [2, 4],
  [3, 5],
  [4, 6],
  [5, 7]
] as const

/** A COCO keypoint file (`person_keypoints_*.json` form). */
export interface CocoKeypointFile {
  readonly images: ReadonlyArray<{ id: number; file_name: string; height: number; width: number }>
  readonly annotations: ReadonlyArray<{
    id: number
    image_id: number
    category_id: 1
    keypoints: Array<number>
    num_keypoints: number
    bbox: [number, number, number, number]
    area: number
    iscrowd: 0
  }>
  readonly categories: ReadonlyArray<{
    id: 1
    name: "person"
    supercategory: "person"
    keypoints: ReadonlyArray<string>
    skeleton: ReadonlyArray<readonly [number, number]>
  }>
}

/**
 * The COCO keypoint file of a person world's rendered items (default: train, query and gallery, in that order) at
 * the world's size: one image per item (`file_name` = its export name `<key>.<format>`, as `writeMarket1501` and
 * `writeMars` write it), one annotation per image with the 17 keypoints `[x, y, v]` and the person's box of
 * `world.annotate` (see `ShotAnnotation`: v = 0 under the occluder or outside the image, 1 self-occluded,
 * 2 visible), `num_keypoints` = the labelled ones (v > 0), `area` = the box's. Items that are not the world's
 * rendered shots are left out. A vehicle world is a {@link MalformedMetadata} (no keypoints).
 */
export const cocoKeypointFile = (
  world: SyntheticWorld,
  options: { readonly format?: "jpg" | "png"; readonly items?: ReadonlyArray<Item> } = {}
): Effect.Effect<CocoKeypointFile, MalformedMetadata> =>
  Effect.gen(function* () {
    if (world.options.kind !== "person")
      return yield* new MalformedMetadata({
        path: world.dataset.name,
        detail: "COCO keypoints need a person world (kind: person)"
      })
    const ext = options.format ?? "jpg"
    const { height, width } = world.options
    const items = options.items ?? [...world.dataset.train, ...world.dataset.query, ...world.dataset.gallery]
    const images: Array<CocoKeypointFile["images"][number]> = []
    const annotations: Array<CocoKeypointFile["annotations"][number]> = []
    for (const item of items) {
      if (item.source._tag !== "Rendered") continue
      const shot = world.shotOf(item.source.key)
      if (shot === undefined) continue
      const a = world.annotate(shot)
      const id = images.length + 1
      images.push({ id, file_name: `${item.source.key}.${ext}`, height, width })
      const keypoints = (a.keypoints ?? []).flat()
      const bbox = [...a.box] as [number, number, number, number]
      annotations.push({
        id,
        image_id: id,
        category_id: 1,
        keypoints,
        num_keypoints: (a.keypoints ?? []).filter((k) => k[2] > 0).length,
        bbox,
        area: bbox[2] * bbox[3],
        iscrowd: 0
      })
    }
    return {
      images,
      annotations,
      categories: [
        { id: 1, name: "person", supercategory: "person", keypoints: cocoKeypointNames, skeleton: cocoSkeleton }
      ]
    }
  })

/**
 * Writes {@link cocoKeypointFile} as JSON to `file` (e.g. `<root>/person_keypoints.json` beside a
 * `writeMarket1501` export, with the same `format`), where `CocoKeypoints.parse` reads it back.
 */
export const writeCocoKeypoints = (
  world: SyntheticWorld,
  file: string,
  options: { readonly format?: "jpg" | "png"; readonly items?: ReadonlyArray<Item> } = {}
): Effect.Effect<void, MalformedMetadata> =>
  Effect.gen(function* () {
    const coco = yield* cocoKeypointFile(world, options)
    yield* mkdir(path.dirname(file))
    yield* writeText(file, JSON.stringify(coco))
  })
