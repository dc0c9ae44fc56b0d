/**
 * CUHK-SYSU (Xiao et al., "Joint Detection and Identification Feature Learning for Person Search", CVPR 2017) as
 * a ReID set, in the `cuhksysu4reid` layout of the LReID benchmark (Pu et al., CVPR 2021): the person boxes of
 * the raw set cropped into `train/`, `query/`, `gallery/` (and `combine/`, not read) by
 * `IncrementalSamples4cuhksysu.preprocessing` in github:TPCD/LifelongReID `lreid/datasets/cuhksysu.py` (train:
 * `annotation/test/train_test/Train.mat`; query and gallery: `TestG50.mat`, each query with the gallery boxes of
 * its person). File names are `<identity, 5 digits>_s<scene>_<box index, 7 digits>_<is hard>.jpg`, parsed with
 * that file's pattern `([-\d]+)_s([-\d]+)_([-\d]+)_([-\d]+)`; a name that does not parse is skipped and counted.
 *
 * Split convention:
 * - **train** keeps the identities with at least `minImagesPerIdentity` images (default 4): LReID-Seen trains on
 *   `subcuhksysu` (`IncrementalSamples4subcuhksysu(use_subset_train=True)`, `sub_set`, "value >= 4"); 1 keeps all.
 * - **cameras**: the set has none. LReID gives every image camera 0, under which the Market-1501 rule (drop gallery
 *   items of the query's identity and camera) rejects every match; the reader follows the LReID code that
 *   evaluates CUHK-SYSU, github:cly234/LReID-KRKC `reid/datasets/cuhk_sysu.py` (from PTKP): query camera 1,
 *   gallery and train camera 0.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, type IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `cuhk-sysu/CUHK-SYSU/cuhksysu4reid/   (made by LReID's lreid/datasets/cuhksysu.py from the raw set)
  train/00012_s1234_0000001_0.jpg, ...   (<identity>_s<scene>_<box index>_<is hard>.jpg)
  query/...
  gallery/...`

const pattern = /^(-?\d+)_s(\d+)_(\d+)_(\d+)\.jpg$/i

export interface CUHKSYSUOptions {
  /** Train identities with fewer images are dropped (default 4, LReID's `subcuhksysu`; 1 keeps every identity). */
  readonly minImagesPerIdentity?: number
}

/** Reads CUHK-SYSU rooted at its `cuhksysu4reid` folder. */
export const read = (
  root: string,
  options: CUHKSYSUOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("CUHK-SYSU", root, layout)
    const report = Dataset.emptyReport()
    const split = (folder: string, cam: number) =>
      Effect.gen(function* () {
        const dir = path.join(root, folder)
        yield* Files.requireDir("CUHK-SYSU", dir, layout)
        const items: Array<Item> = []
        for (const name of yield* Files.listImages(dir)) {
          const m = pattern.exec(name)
          if (m === null) {
            Dataset.skip(report, `${folder}: name does not match <identity>_s<scene>_<box>_<hard>.jpg`, name)
            continue
          }
          items.push(SplitFiles.item(path.join(dir, name), Number.parseInt(m[1]!, 10), cam))
        }
        if (items.length === 0)
          return yield* new MalformedMetadata({
            path: dir,
            detail: `no image named <identity>_s<scene>_<box>_<hard>.jpg; expected layout:\n${layout}`
          })
        return items
      })
    const all = yield* split("train", 0)
    const min = options.minImagesPerIdentity ?? 4
    const counts = new Map<number, number>()
    for (const i of all) counts.set(i.id, (counts.get(i.id) ?? 0) + 1)
    const train = all.filter((i) => counts.get(i.id)! >= min)
    if (train.length < all.length)
      report.skipped[`train: identities with fewer than ${min} images (LReID's subcuhksysu)`] =
        all.length - train.length
    const query = yield* split("query", 1)
    const gallery = yield* split("gallery", 0)
    return yield* SplitFiles.disjoint({ name: "CUHK-SYSU", kind: "image" as const, train, query, gallery, report })
  })
