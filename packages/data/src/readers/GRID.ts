/**
 * GRID, the QMUL underground re-identification set (Loy et al., "Multi-Camera Activity Correlation Analysis",
 * CVPR 2009): `underground_reid/probe/*.jpeg` (250 persons) and `underground_reid/gallery/*.jpeg` (the same 250
 * plus 775 distractors of identity 0), names `0001_1_25004_107_32_130.jpeg` (identity, camera 1..8, ...). Read as
 * github:TPCD/LifelongReID `lreid/datasets/grid.py` (`IncrementalSamples4grid`, from torchreid's
 * `torchreid/data/datasets/image/grid.py`).
 *
 * Split convention (LReID-Unseen), the dataset's own ten partitions: split `split` (default 0) of
 * `trainIdxAll` in `underground_reid/features_and_partitions.mat`, a 1x10 cell of structs whose third field lists
 * the 125 train identities (`trainIdxAll[split][0][0][2][0]` in LReID). Images of train identities (probe and
 * gallery) train; the other probe images are the queries and the other gallery images (distractors included) the
 * gallery. A `splits.json` written by torchreid / LReID is used instead when present (its train entries give the
 * train identities). Cameras are the names' 1..8, 0-based.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, type IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as Mat5 from "./Mat5.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `grid/
  underground_reid/
    probe/0001_1_25004_107_32_130.jpeg, ...     (<identity>_<camera 1..8>_...)
    gallery/0000_6_25005_...jpeg, ...           (identity 0000: distractors)
    features_and_partitions.mat                  (trainIdxAll: 1x10 cell of structs, 3rd field = 125 train identities)
  splits.json                                    (optional, torchreid / LReID; used instead of the .mat when present)`

const pattern = /^(\d+)_(\d+)_/

/** The train identities of split `index` of `features_and_partitions.mat`. */
const matTrainIds = (file: string, index: number): Effect.Effect<Array<number>, MalformedMetadata | DatasetNotFound> =>
  Effect.gen(function* () {
    yield* Files.requireFile("GRID", file, layout)
    const bytes = yield* Files.readBytes(file)
    const values = yield* Effect.try({
      try: () => Mat5.parseValues(bytes),
      catch: (e) => new MalformedMetadata({ path: file, detail: e instanceof Error ? e.message : String(e) })
    })
    const all = values.find((v) => v.name === "trainIdxAll")?.value
    if (all === undefined || all._tag !== "Cell")
      return yield* new MalformedMetadata({ path: file, detail: "no cell array named trainIdxAll" })
    const cell = all.cells[index]
    if (cell === undefined)
      return yield* new MalformedMetadata({
        path: file,
        detail: `trainIdxAll has no split ${index} (it has ${all.cells.length})`
      })
    const record = cell._tag === "Struct" ? cell.elements[0] : undefined
    const field = record === undefined || cell._tag !== "Struct" ? undefined : record[cell.fields[2] ?? ""]
    if (field === undefined || field._tag !== "Numeric") {
      return yield* new MalformedMetadata({
        path: file,
        detail: `trainIdxAll{${index + 1}} is not a struct whose third field lists the train identities`
      })
    }
    return Array.from(field.data)
  })

/** Reads GRID rooted at its `grid` folder. */
export const read = (
  root: string,
  options: Pick<SplitFiles.SplitOptions, "split"> = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("GRID", root, layout)
    const folder = (name: "probe" | "gallery") =>
      Effect.gen(function* () {
        const dir = path.join(root, "underground_reid", name)
        const items: Array<Item> = []
        for (const file of yield* SplitFiles.images("GRID", dir, layout)) {
          const m = yield* SplitFiles.parseName(dir, file, pattern, "<identity>_<camera>_....jpeg")
          const cam = Number.parseInt(m[2]!, 10) - 1
          if (cam < 0)
            return yield* new MalformedMetadata({ path: path.join(dir, file), detail: "camera must be 1..8" })
          items.push(SplitFiles.item(path.join(dir, file), Number.parseInt(m[1]!, 10), cam))
        }
        return items
      })
    const probe = yield* folder("probe")
    const gallery = yield* folder("gallery")
    const splitFile = path.join(root, "splits.json")
    const index = options.split ?? 0
    let trainIds: Set<number>
    if (yield* Files.exists(splitFile)) {
      const split = yield* SplitFiles.pickSplit(splitFile, yield* SplitFiles.readJson(splitFile), index)
      const names = yield* SplitFiles.entryNames(splitFile, split, "train")
      trainIds = new Set(names.map((n) => Number.parseInt(n.split("/").pop()!.split("_")[0]!, 10)))
    } else {
      trainIds = new Set(yield* matTrainIds(path.join(root, "underground_reid", "features_and_partitions.mat"), index))
    }
    return yield* SplitFiles.disjoint({
      name: "GRID",
      kind: "image" as const,
      train: [...probe, ...gallery].filter((i) => trainIds.has(i.id)),
      query: probe.filter((i) => !trainIds.has(i.id)),
      gallery: gallery.filter((i) => !trainIds.has(i.id))
    })
  })
