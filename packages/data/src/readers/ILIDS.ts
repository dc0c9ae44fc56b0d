/**
 * QMUL i-LIDS (Zheng et al., "Associating Groups of People", BMVC 2009): 476 images of 119 persons,
 * `i-LIDS_Pedestrian/Persons/0001001.jpg` (identity, 4 digits; camera, 3 digits). Read as
 * github:TPCD/LifelongReID `lreid/datasets/ilids.py` (`IncrementalSamples4ilids`, from torchreid's
 * `torchreid/data/datasets/image/ilids.py`): camera `int(name[4:7]) - 1`. A name that does not match is a
 * {@link MalformedMetadata}.
 *
 * Split convention (LReID-Unseen): `splits.json` (a list of `{ train: [names], query: [names], gallery: [names]
 * }`), split `split` (default 0): `int(119 * 0.5)` = 59 identities train with all their images; each test identity
 * gives one query and one gallery image. Without a split file the identities are shuffled with `seed` and each
 * test identity's two images are drawn from the same seed (LReID draws with unseeded `random`). As in LReID, a
 * test identity whose two images share a camera has no valid match under the Market-1501 rule and is skipped by
 * the evaluation.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `ilids/
  i-LIDS_Pedestrian/Persons/0001001.jpg, ...   (<identity, 4 digits><camera, 3 digits>.jpg)
  splits.json                                   (optional: [{ "train": [names], "query": [names], "gallery": [names] }]; else a seeded split)`

const pattern = /^(\d{4})(\d{3})\.jpg$/i

/** Reads i-LIDS rooted at its `ilids` folder. */
export const read = (
  root: string,
  options: SplitFiles.SplitOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("i-LIDS", root, layout)
    const dir = path.join(root, "i-LIDS_Pedestrian", "Persons")
    const lookup = new Map<string, Item>()
    const byId = new Map<number, Array<Item>>()
    for (const name of yield* SplitFiles.images("i-LIDS", dir, layout)) {
      const m = yield* SplitFiles.parseName(dir, name, pattern, "<identity, 4 digits><camera, 3 digits>.jpg")
      const id = Number.parseInt(m[1]!, 10)
      const image = SplitFiles.item(path.join(dir, name), id, Math.max(0, Number.parseInt(m[2]!, 10) - 1))
      lookup.set(name, image)
      const list = byId.get(id)
      if (list === undefined) byId.set(id, [image])
      else list.push(image)
    }
    const splitFile = path.join(root, "splits.json")
    let splits: { train: Array<Item>; query: Array<Item>; gallery: Array<Item> }
    if (yield* Files.exists(splitFile)) {
      const split = yield* SplitFiles.pickSplit(splitFile, yield* SplitFiles.readJson(splitFile), options.split ?? 0)
      splits = yield* SplitFiles.fromEntries(splitFile, split, lookup)
    } else {
      const seed = options.seed ?? 0
      const ids = SplitFiles.shuffled(
        [...byId.keys()].sort((x, y) => x - y),
        seed,
        "ilids"
      )
      const nTrain = Math.floor(ids.length * 0.5)
      const draw = SplitFiles.stream(seed, "ilids")
      const test = ids
        .slice(nTrain)
        .sort((x, y) => x - y)
        .filter((id) => byId.get(id)!.length >= 2)
        .map((id) => draw.sample(byId.get(id)!, 2))
      splits = {
        train: ids
          .slice(0, nTrain)
          .sort((x, y) => x - y)
          .flatMap((id) => byId.get(id)!),
        query: test.map((pair) => pair[0]!),
        gallery: test.map((pair) => pair[1]!)
      }
    }
    return yield* SplitFiles.disjoint({ name: "i-LIDS", kind: "image" as const, ...splits })
  })
