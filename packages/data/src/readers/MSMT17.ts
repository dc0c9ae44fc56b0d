/**
 * MSMT17 (Wei et al., CVPR 2018), read through its list files as torchreid does. Lines are
 * `<identity folder>/<file> <label>`, e.g. `0000/0000_000_01_0303morning_0015_0.jpg 0`; the camera (1..15) is
 * the third `_`-separated field. V1 keeps images in `train/` and `test/`; V2 in `mask_train_v2/` and
 * `mask_test_v2/`. The train split is `list_train.txt` (plus `list_val.txt` with `includeVal`, torchreid's
 * `combineall`; published results train without it).
 *
 * The list files number the test identities from 0 again, although they are other persons than the training
 * identities of the same numbers; test labels are shifted by {@link testIdOffset} so that an identity number names
 * one person across the splits (evaluation compares identities within the test split only, so its scores are
 * unchanged, and the lifelong rule that no test identity is trained on can be checked).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"

/** Added to MSMT17's test labels (its 1,041 training and 3,060 test identities are numbered from 0 each). @since 0.2.0 */
export const testIdOffset = 100_000

export const layout = (version: "V1" | "V2") => {
  const [train, test] = version === "V1" ? ["train", "test"] : ["mask_train_v2", "mask_test_v2"]
  return `MSMT17_${version}/\n  ${train}/0000/0000_000_01_0303morning_0015_0.jpg, ...\n  ${test}/0000/...\n  list_train.txt   lines "0000/0000_000_01_0303morning_0015_0.jpg 0"\n  list_val.txt\n  list_query.txt\n  list_gallery.txt`
}

export interface MSMT17Options {
  /** Default: detected from the folders present (V2 if `mask_train_v2/` exists). */
  readonly version?: "V1" | "V2"
  /** Add `list_val.txt` to the train split (default false). */
  readonly includeVal?: boolean
}

/** Reads MSMT17 V1 or V2 rooted at its `MSMT17_V1` / `MSMT17_V2` folder. */
export const read = (
  root: string,
  options: MSMT17Options = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireDir("MSMT17", root, layout(options.version ?? "V1"))
    const version = options.version ?? ((yield* Files.exists(path.join(root, "mask_train_v2"))) ? "V2" : "V1")
    const [trainDir, testDir] = version === "V1" ? ["train", "test"] : ["mask_train_v2", "mask_test_v2"]
    const name = `MSMT17_${version}`
    const report = Dataset.emptyReport()
    const readList = (list: string, dir: string, idOffset = 0) =>
      Effect.gen(function* () {
        const file = path.join(root, list)
        yield* Files.requireFile(name, file, layout(version))
        yield* Files.requireDir(name, path.join(root, dir), layout(version))
        const items: Array<Item> = []
        for (const line of Files.lines(yield* Files.readText(file))) {
          const [rel, label] = line.split(/\s+/)
          const id = Number.parseInt(label ?? "", 10)
          const cam = Number.parseInt(rel?.split("_")[2] ?? "", 10) - 1
          if (rel === undefined || !Number.isInteger(id) || !Number.isInteger(cam) || cam < 0) {
            Dataset.skip(report, `${list}: line does not parse as "<path> <label>" with a camera field`, line)
            continue
          }
          items.push({ source: { _tag: "File", path: path.join(root, dir, rel) }, id: id + idOffset, cam })
        }
        if (items.length === 0) return yield* new MalformedMetadata({ path: file, detail: "no usable line" })
        return items
      })
    const train = yield* readList("list_train.txt", trainDir)
    const val = options.includeVal === true ? yield* readList("list_val.txt", trainDir) : []
    const query = yield* readList("list_query.txt", testDir, testIdOffset)
    const gallery = yield* readList("list_gallery.txt", testDir, testIdOffset)
    return { name, kind: "image" as const, train: [...train, ...val], query, gallery, report }
  })
