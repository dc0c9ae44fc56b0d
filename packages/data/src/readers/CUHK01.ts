/**
 * CUHK01 (Li et al., "Human Reidentification with Transferred Metric Learning", ACCV 2012): 971 persons, two
 * images in each of two views, `campus/*.png`, read as github:TPCD/LifelongReID `lreid/datasets/cuhk01.py`
 * (`IncrementalSamples4cuhk01`, from torchreid's `torchreid/data/datasets/image/cuhk01.py`): a name
 * `0001001.png` is the identity (4 digits) then the image (3 digits); images 1-2 are view 0 and 3-4 view 1
 * (`camid = (int(name[4:7]) - 1) // 2`). A name that does not match is a {@link MalformedMetadata}.
 *
 * Split convention (LReID-Unseen): `splits.json` next to `campus/` (torchreid / LReID), split `split` (default
 * 0): half the identities train (`num_pids // 2`), the others test, split 2k with view 0 as query and view 1 as
 * gallery and split 2k+1 the reverse. Without a split file the identities are shuffled with `seed` (LReID
 * draws unseeded; ship its `splits.json` to reproduce a given split).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `cuhk01/
  campus/0001001.png, ...   (<identity, 4 digits><image 001..004>.png; images 1-2: view 0, 3-4: view 1)
  splits.json               (optional: torchreid / LReID splits; else a seeded split)`

const pattern = /^(\d{4})(\d{3})\.png$/i

/** Reads CUHK01 rooted at its `cuhk01` folder. */
export const read = (
  root: string,
  options: SplitFiles.SplitOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("CUHK01", root, layout)
    const dir = path.join(root, "campus")
    const lookup = new Map<string, Item>()
    const byId = new Map<number, Array<Item>>()
    for (const name of yield* SplitFiles.images("CUHK01", dir, layout)) {
      const m = yield* SplitFiles.parseName(dir, name, pattern, "<identity, 4 digits><image, 3 digits>.png")
      const id = Number.parseInt(m[1]!, 10)
      const image = SplitFiles.item(path.join(dir, name), id, Math.floor((Number.parseInt(m[2]!, 10) - 1) / 2))
      lookup.set(`campus/${name}`, image)
      const list = byId.get(id)
      if (list === undefined) byId.set(id, [image])
      else list.push(image)
    }
    const splitFile = path.join(root, "splits.json")
    const index = options.split ?? 0
    let splits: { train: Array<Item>; query: Array<Item>; gallery: Array<Item> }
    if (yield* Files.exists(splitFile)) {
      const split = yield* SplitFiles.pickSplit(splitFile, yield* SplitFiles.readJson(splitFile), index)
      splits = yield* SplitFiles.fromEntries(splitFile, split, lookup)
    } else {
      const ids = SplitFiles.shuffled(
        [...byId.keys()].sort((x, y) => x - y),
        options.seed ?? 0,
        "cuhk01"
      )
      const trainIds = new Set(ids.slice(0, Math.floor(ids.length / 2)))
      const queryView = index % 2
      const all = [...lookup.values()]
      const test = all.filter((i) => !trainIds.has(i.id))
      splits = {
        train: all.filter((i) => trainIds.has(i.id)),
        query: test.filter((i) => i.cam === queryView),
        gallery: test.filter((i) => i.cam !== queryView)
      }
    }
    return yield* SplitFiles.disjoint({ name: "CUHK01", kind: "image" as const, ...splits })
  })
