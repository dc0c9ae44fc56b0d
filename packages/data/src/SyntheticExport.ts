/**
 * Writes a synthetic world to disk in the layouts of the real benchmarks, so that the real readers read it:
 * Market-1501 for image worlds, MARS (with its `.mat` info files, and CSV copies) for video worlds.
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
