/**
 * MARS (Zheng et al., ECCV 2016), the video ReID benchmark, read as torchreid does.
 *
 * `info/tracks_{train,test}_info` hold one row per tracklet: `start end identity camera` (1-based, inclusive
 * indices into `train_name.txt` / `test_name.txt`; camera 1..6); identity -1 is junk (skipped and counted),
 * identity 0 are distractors (kept in the gallery). `info/query_IDX` lists the (1-based) rows of the test tracks
 * that are queries; the other test tracks are the gallery. MARS ships these as MATLAB `.mat` files, which are
 * read directly (`Mat5.ts`); CSV / TXT exports (`tracks_train_info.csv` or `.txt`, numbers separated by commas
 * or spaces, an optional header line) are accepted too, as many codebases use them.
 *
 * Frames are numbered by their position in the tracklet (0-based); tracklet ids are the train rows, then the
 * test rows after them.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as Mat5 from "./Mat5.ts"

export const layout = `MARS/
  bbox_train/0001/0001C1T0001F001.jpg, ...
  bbox_test/0000/..., bbox_test/0002/...
  info/
    train_name.txt          one image name per line
    test_name.txt
    tracks_train_info.mat   rows "start end identity camera" (or .csv / .txt with the same columns)
    tracks_test_info.mat
    query_IDX.mat           1-based rows of tracks_test_info that are queries (or .csv / .txt)`

const parseNumbers = (text: string): Array<Array<number>> =>
  Files.lines(text)
    .map((l) => l.split(/[\s,;]+/).map(Number))
    .filter((r) => r.every((x) => Number.isFinite(x)))

/** Reads a numeric table from `<base>.mat`, `<base>.csv` or `<base>.txt` (first found). */
export const readTable = (
  dataset: string,
  base: string,
  shown: string
): Effect.Effect<Array<Array<number>>, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    for (const ext of [".mat", ".csv", ".txt"]) {
      const file = base + ext
      if (!(yield* Files.exists(file))) continue
      if (ext === ".mat") {
        const bytes = yield* Files.readBytes(file)
        const vars = yield* Effect.try({
          try: () => Mat5.parse(bytes),
          catch: (e) => new MalformedMetadata({ path: file, detail: e instanceof Error ? e.message : String(e) })
        })
        const v = vars[0]
        if (v === undefined) return yield* new MalformedMetadata({ path: file, detail: "no numeric matrix inside" })
        return Array.from({ length: v.data.length === 0 ? 0 : v.dims[0]! }, (_, r) => Mat5.row(v, r))
      }
      return parseNumbers(yield* Files.readText(file))
    }
    return yield* Files.requireFile(dataset, base + ".mat", shown).pipe(Effect.as([] as Array<Array<number>>))
  })

export interface MARSOptions {
  /** Drop tracklets shorter than this (torchreid's `min_seq_len`, default 0). */
  readonly minFrames?: number
}

/** Reads MARS rooted at its folder. */
export const read = (
  root: string,
  options: MARSOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireDir("MARS", root, layout)
    const info = path.join(root, "info")
    yield* Files.requireDir("MARS", info, layout)
    for (const d of ["bbox_train", "bbox_test"]) yield* Files.requireDir("MARS", path.join(root, d), layout)
    const names = (split: string) =>
      Effect.gen(function* () {
        const file = path.join(info, `${split}_name.txt`)
        yield* Files.requireFile("MARS", file, layout)
        return Files.lines(yield* Files.readText(file))
      })
    const trainNames = yield* names("train")
    const testNames = yield* names("test")
    const trainInfo = yield* readTable("MARS", path.join(info, "tracks_train_info"), layout)
    const testInfo = yield* readTable("MARS", path.join(info, "tracks_test_info"), layout)
    const queryRows = (yield* readTable("MARS", path.join(info, "query_IDX"), layout)).flat()
    const report = Dataset.emptyReport()
    const minFrames = options.minFrames ?? 0
    const tracks = (
      rows: ReadonlyArray<ReadonlyArray<number>>,
      allNames: ReadonlyArray<string>,
      dir: string,
      offset: number,
      file: string
    ) =>
      Effect.gen(function* () {
        const out: Array<Array<Item>> = []
        for (let r = 0; r < rows.length; r++) {
          const [start, end, id, camera] = rows[r]!
          if (start === undefined || end === undefined || id === undefined || camera === undefined) {
            return yield* new MalformedMetadata({ path: file, detail: `row ${r + 1} has fewer than 4 columns` })
          }
          if (start < 1 || end > allNames.length || end < start) {
            return yield* new MalformedMetadata({
              path: file,
              detail: `row ${r + 1}: indices ${start}..${end} outside 1..${allNames.length}`
            })
          }
          if (id === -1) {
            Dataset.skip(report, `${path.basename(file)}: junk tracklet (identity -1)`, allNames[start - 1]!)
            out.push([])
            continue
          }
          const frames = allNames.slice(start - 1, end)
          if (frames.length < minFrames) {
            Dataset.skip(report, `${path.basename(file)}: shorter than minFrames`, frames[0]!)
            out.push([])
            continue
          }
          out.push(
            frames.map((name, f) => ({
              source: { _tag: "File" as const, path: path.join(root, dir, name.slice(0, 4), name) },
              id,
              cam: camera - 1,
              tracklet: offset + r,
              frame: f
            }))
          )
        }
        return out
      })
    const train = (yield* tracks(trainInfo, trainNames, "bbox_train", 0, path.join(info, "tracks_train_info"))).flat()
    const test = yield* tracks(testInfo, testNames, "bbox_test", trainInfo.length, path.join(info, "tracks_test_info"))
    const isQuery = new Set(queryRows.map((q) => q - 1))
    for (const q of isQuery) {
      if (q < 0 || q >= test.length)
        return yield* new MalformedMetadata({
          path: path.join(info, "query_IDX"),
          detail: `query row ${q + 1} outside 1..${test.length}`
        })
    }
    const query = test.filter((_, r) => isQuery.has(r)).flat()
    const gallery = test.filter((_, r) => !isQuery.has(r)).flat()
    return { name: "MARS", kind: "video" as const, train, query, gallery, report }
  })
