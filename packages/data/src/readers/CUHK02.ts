/**
 * CUHK02 (Li and Wang, "Locally Aligned Feature Transforms across Views", CVPR 2013): 1,816 persons seen by five
 * camera pairs, `Dataset/P1..P5/cam1|cam2/*.png`, names `<identity>_<image>.png`. Read as
 * github:TPCD/LifelongReID `lreid/datasets/cuhk02.py` (`IncrementalSamples4cuhk02`, from torchreid's
 * `torchreid/data/datasets/image/cuhk02.py`).
 *
 * Split convention (LReID-Unseen, fixed): pairs P1-P4 train, P5 tests with `cam1` as query and `cam2` as gallery.
 * Cameras are numbered over the pairs as in LReID (P1 cam1 = 0, P1 cam2 = 1, ..., P5 cam2 = 9). Identity numbers
 * restart in each pair (LReID relabels each pair after the previous ones), so the identity of `P<k>/.../<n>_...` is
 * `k * 10000 + n`: different pairs never share an identity. A name that does not match is a
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

export const layout = `cuhk02/
  Dataset/
    P1/cam1/0001_1.png, ...   (<identity>_<image>.png)
    P1/cam2/...
    ...
    P5/cam1/, P5/cam2/        (the test pair: cam1 query, cam2 gallery)`

const pairs = ["P1", "P2", "P3", "P4", "P5"] as const
const pattern = /^(\d+)_/

/** Reads CUHK02 rooted at its `cuhk02` folder. */
export const read = (
  root: string
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("CUHK02", root, layout)
    const splits = { train: [] as Array<Item>, query: [] as Array<Item>, gallery: [] as Array<Item> }
    for (let k = 0; k < pairs.length; k++) {
      for (const [c, cam] of (["cam1", "cam2"] as const).entries()) {
        const dir = path.join(root, "Dataset", pairs[k]!, cam)
        for (const name of yield* SplitFiles.images("CUHK02", dir, layout)) {
          const m = yield* SplitFiles.parseName(dir, name, pattern, "<identity>_<image>.png")
          const image = SplitFiles.item(path.join(dir, name), (k + 1) * 10000 + Number.parseInt(m[1]!, 10), 2 * k + c)
          if (k < 4) splits.train.push(image)
          else if (c === 0) splits.query.push(image)
          else splits.gallery.push(image)
        }
      }
    }
    return yield* SplitFiles.disjoint({ name: "CUHK02", kind: "image" as const, ...splits })
  })
