/**
 * SenseReID (Zhao et al., "Spindle Net", CVPR 2017): a test-only set, `SenseReID/test_probe/*.jpg` and
 * `SenseReID/test_gallery/*.jpg`, names `<identity>_<camera>.jpg`. Read as github:TPCD/LifelongReID
 * `lreid/datasets/sensereid.py` (`IncrementalSamples4sensereid`, from torchreid's
 * `torchreid/data/datasets/image/sensereid.py`).
 *
 * Split convention (LReID-Unseen): query = `test_probe`, gallery = `test_gallery`, train empty (LReID fills its
 * train list with a copy of the test images as a "dummy variable" that is never trained on; reidfx leaves it
 * empty so the set can only test). Cameras are the names' numbers as written. A name that does not match is a
 * {@link MalformedMetadata}.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `sensereid/
  SenseReID/
    test_probe/0001_0.jpg, ...     (<identity>_<camera>.jpg)
    test_gallery/0001_1.jpg, ...`

const pattern = /^(\d+)_(\d+)\.jpg$/i

/** Reads SenseReID rooted at its `sensereid` folder. */
export const read = (
  root: string
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("SenseReID", root, layout)
    const folder = (name: string) =>
      Effect.gen(function* () {
        const dir = path.join(root, "SenseReID", name)
        const items: Array<Item> = []
        for (const file of yield* SplitFiles.images("SenseReID", dir, layout)) {
          const m = yield* SplitFiles.parseName(dir, file, pattern, "<identity>_<camera>.jpg")
          items.push(SplitFiles.item(path.join(dir, file), Number.parseInt(m[1]!, 10), Number.parseInt(m[2]!, 10)))
        }
        return items
      })
    return {
      name: "SenseReID",
      kind: "image" as const,
      train: [],
      query: yield* folder("test_probe"),
      gallery: yield* folder("test_gallery")
    }
  })
