/**
 * VIPeR (Gray et al., "Evaluating Appearance Models for Recognition, Reacquisition, and Tracking", PETS 2007): 632
 * persons, one image in each of two cameras, `VIPeR/cam_a/*.bmp` and `VIPeR/cam_b/*.bmp`, read as
 * github:TPCD/LifelongReID `lreid/datasets/viper.py` (`IncrementalSamples4viper`, copied from torchreid's
 * `torchreid/data/datasets/image/viper.py`) does: the sorted images of the two cameras are paired by position;
 * the identity is the number that starts both file names (`000_45.bmp` / `000_90.bmp`), and a pair whose numbers
 * differ is a {@link MalformedMetadata}. Camera 0 is `cam_a`, 1 is `cam_b`.
 *
 * Split convention (LReID-Unseen): `splits.json` next to `VIPeR/` (written by torchreid / LReID, or the one
 * shipped in github:cly234/LReID-KRKC `docs/splits.json`), split `split` (default 0): half the identities train
 * (both images), the other half test, with split 2k using `cam_a` as query and `cam_b` as gallery and split 2k+1
 * the reverse. Without a split file, the identities are shuffled with `seed` (default 0) and the first
 * `floor(632 / 2)` train, query `cam_a` (even `split`) or `cam_b` (odd `split`) — LReID draws its splits with an
 * unseeded `np.random.shuffle`, so no split is "the" split; ship its `splits.json` to reproduce a given one.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, type IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as SplitFiles from "./SplitFiles.ts"

export const layout = `viper/
  VIPeR/
    cam_a/000_45.bmp, ...   (<identity>_<angle>.bmp; sorted cam_a and cam_b images are pairs)
    cam_b/000_90.bmp, ...
  splits.json               (optional: torchreid / LReID splits; else a seeded split)`

const pattern = /^(\d+)_/

/** Reads VIPeR rooted at its `viper` folder. */
export const read = (
  root: string,
  options: SplitFiles.SplitOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap> =>
  Effect.gen(function* () {
    yield* Files.requireDir("VIPeR", root, layout)
    const dirA = path.join(root, "VIPeR", "cam_a")
    const dirB = path.join(root, "VIPeR", "cam_b")
    const a = yield* SplitFiles.images("VIPeR", dirA, layout)
    const b = yield* SplitFiles.images("VIPeR", dirB, layout)
    if (a.length !== b.length)
      return yield* new MalformedMetadata({
        path: dirB,
        detail: `cam_a has ${a.length} images and cam_b ${b.length}; VIPeR pairs them one to one`
      })
    const lookup = new Map<string, Item>()
    const pairs: Array<{ readonly id: number; readonly a: Item; readonly b: Item }> = []
    for (let i = 0; i < a.length; i++) {
      const ma = yield* SplitFiles.parseName(dirA, a[i]!, pattern, "<identity>_<angle>.bmp")
      const mb = yield* SplitFiles.parseName(dirB, b[i]!, pattern, "<identity>_<angle>.bmp")
      const id = Number.parseInt(ma[1]!, 10)
      if (Number.parseInt(mb[1]!, 10) !== id) {
        return yield* new MalformedMetadata({
          path: path.join(dirB, b[i]!),
          detail: `paired with cam_a/${a[i]} by position but names another identity`
        })
      }
      const pair = {
        id,
        a: SplitFiles.item(path.join(dirA, a[i]!), id, 0),
        b: SplitFiles.item(path.join(dirB, b[i]!), id, 1)
      }
      pairs.push(pair)
      lookup.set(`cam_a/${a[i]}`, pair.a)
      lookup.set(`cam_b/${b[i]}`, pair.b)
    }
    const splitFile = path.join(root, "splits.json")
    const index = options.split ?? 0
    let splits: { train: Array<Item>; query: Array<Item>; gallery: Array<Item> }
    if (yield* Files.exists(splitFile)) {
      const split = yield* SplitFiles.pickSplit(splitFile, yield* SplitFiles.readJson(splitFile), index)
      splits = yield* SplitFiles.fromEntries(splitFile, split, lookup)
    } else {
      const order = SplitFiles.shuffled(pairs, options.seed ?? 0, "viper")
      const train = order.slice(0, Math.floor(order.length / 2))
      const test = order.slice(train.length)
      const aQuery = index % 2 === 0
      splits = {
        train: train.flatMap((p) => [p.a, p.b]),
        query: test.map((p) => (aQuery ? p.a : p.b)),
        gallery: test.map((p) => (aQuery ? p.b : p.a))
      }
    }
    return yield* SplitFiles.disjoint({ name: "VIPeR", kind: "image" as const, ...splits })
  })
