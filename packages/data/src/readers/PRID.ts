/**
 * PRID2011, single-shot version (Hirzer et al., "Person Re-Identification by Descriptive and Discriminative
 * Classification", SCIA 2011): `prid_2011/single_shot/cam_a/person_0001.png` (385 persons) and `cam_b/` (749);
 * persons 1-200 are the same people in both views, the others appear in one view only (so `cam_a/person_0201` and
 * `cam_b/person_0201` are different people). Read as github:TPCD/LifelongReID `lreid/datasets/prid.py`
 * (`IncrementalSamples4prid`, from torchreid's `torchreid/data/datasets/image/prid.py`).
 *
 * Split convention (LReID-Unseen): `splits_single_shot.json` (a list of `{ train: [ids], test: [ids] }`, 100 + 100
 * of the 200 shared persons), split `split` (default 0). Train: both views of the train persons. Query: `cam_a`
 * of the test persons. Gallery: `cam_b` of the test persons plus every `cam_b` person above 200 (distractors:
 * only `cam_b` sees them, so they match no query). Without a split file the 200 shared persons are shuffled with
 * `seed` and cut 100 / 100 (LReID draws with an unseeded `random.sample`). A person the split names without its
 * image is a {@link MalformedMetadata}.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, type IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `prid2011/
  prid_2011/single_shot/
    cam_a/person_0001.png, ...   (persons 1..385)
    cam_b/person_0001.png, ...   (persons 1..749; 1..200 are also in cam_a)
  splits_single_shot.json        (optional: [{ "train": [ids], "test": [ids] }, ...]; else a seeded split)`

/** Persons seen by both views (`range(1, 201)` in LReID's split code). */
export const sharedPersons = 200

const pattern = /^person_(\d+)\.png$/i

/** Reads PRID2011 (single shot) rooted at its `prid2011` folder. */
export const read = (
  root: string,
  options: SplitFiles.SplitOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("PRID2011", root, layout)
    const views = (cam: "cam_a" | "cam_b", camera: number) =>
      Effect.gen(function* () {
        const dir = path.join(root, "prid_2011", "single_shot", cam)
        const byId = new Map<number, Item>()
        for (const name of yield* SplitFiles.images("PRID2011", dir, layout)) {
          const m = yield* SplitFiles.parseName(dir, name, pattern, "person_<number>.png")
          const id = Number.parseInt(m[1]!, 10)
          byId.set(id, SplitFiles.item(path.join(dir, name), id, camera))
        }
        return byId
      })
    const a = yield* views("cam_a", 0)
    const b = yield* views("cam_b", 1)
    const splitFile = path.join(root, "splits_single_shot.json")
    let train: Array<number>
    let test: Array<number>
    if (yield* Files.exists(splitFile)) {
      const split = yield* SplitFiles.pickSplit(splitFile, yield* SplitFiles.readJson(splitFile), options.split ?? 0)
      train = (yield* SplitFiles.entryNames(splitFile, split, "train")).map(Number)
      test = (yield* SplitFiles.entryNames(splitFile, split, "test")).map(Number)
      const bad = [...train, ...test].find((id) => !Number.isInteger(id) || id < 1 || id > sharedPersons)
      if (bad !== undefined)
        return yield* new MalformedMetadata({
          path: splitFile,
          detail: `person ${bad} is not one of the ${sharedPersons} persons both views see`
        })
    } else {
      const order = SplitFiles.shuffled(
        Array.from({ length: sharedPersons }, (_, i) => i + 1),
        options.seed ?? 0,
        "prid"
      )
      train = order.slice(0, sharedPersons / 2).sort((x, y) => x - y)
      test = order.slice(sharedPersons / 2).sort((x, y) => x - y)
    }
    const missing = [...train, ...test]
      .flatMap(
        (id) =>
          [
            ["cam_a", id],
            ["cam_b", id]
          ] as const
      )
      .find(([cam, id]) => !(cam === "cam_a" ? a : b).has(id))
    if (missing !== undefined) {
      return yield* new MalformedMetadata({
        path: path.join(
          root,
          "prid_2011",
          "single_shot",
          missing[0],
          `person_${String(missing[1]).padStart(4, "0")}.png`
        ),
        detail: "the split names this person but the image is missing"
      })
    }
    const testSet = new Set(test)
    return yield* SplitFiles.disjoint({
      name: "PRID2011",
      kind: "image" as const,
      train: train.flatMap((id) => [a.get(id)!, b.get(id)!]),
      query: test.map((id) => a.get(id)!),
      gallery: [
        ...test.map((id) => b.get(id)!),
        ...[...b.values()].filter((i) => i.id > sharedPersons && !testSet.has(i.id))
      ]
    })
  })
