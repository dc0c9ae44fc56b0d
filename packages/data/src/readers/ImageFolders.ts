/**
 * The common shape of the Market-1501 family of layouts: one folder per split, identity and camera parsed from
 * each file name by a regular expression. Market-1501, DukeMTMC-reID, CUHK03-NP and VeRi-776 are instances.
 * Train identities are kept as they are (labels are made contiguous by `Dataset.labelMap`).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"

/** A dataset stored as split folders of images whose file names carry the identity and camera. */
export interface FolderLayout {
  readonly dataset: string
  /** Folder names of the splits, relative to the root. */
  readonly train: string
  readonly query: string
  readonly gallery: string
  /** Captures (identity, camera) from a file name. */
  readonly pattern: RegExp
  /** 1-based cameras in the names (converted to 0-based). */
  readonly cameraBase: number
  /** The layout shown by `DatasetNotFound`. */
  readonly layout: string
  /** Identities to skip as junk (Market-1501: -1). */
  readonly junk?: ReadonlySet<number>
}

/** Reads a folder layout rooted at `root`. */
export const read = (
  root: string,
  layout: FolderLayout
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireDir(layout.dataset, root, layout.layout)
    const report = Dataset.emptyReport()
    const split = (folder: string) =>
      Effect.gen(function* () {
        const dir = path.join(root, folder)
        yield* Files.requireDir(layout.dataset, dir, layout.layout)
        const items: Array<Item> = []
        const links = {
          root,
          skipped: (name: string, reason: string) => Dataset.skip(report, `${folder}: ${reason}`, name)
        }
        for (const name of yield* Files.listImages(dir, links)) {
          const m = layout.pattern.exec(name)
          if (m === null) {
            Dataset.skip(report, `${folder}: name does not match ${layout.pattern}`, name)
            continue
          }
          const id = Number.parseInt(m[1]!, 10)
          const cam = Number.parseInt(m[2]!, 10) - layout.cameraBase
          if (layout.junk?.has(id)) {
            Dataset.skip(report, `${folder}: junk identity ${id}`, name)
            continue
          }
          if (cam < 0) {
            Dataset.skip(report, `${folder}: camera out of range`, name)
            continue
          }
          items.push({ source: { _tag: "File", path: path.join(dir, name) }, id, cam })
        }
        return items
      })
    const train = yield* split(layout.train)
    const query = yield* split(layout.query)
    const gallery = yield* split(layout.gallery)
    return { name: layout.dataset, kind: "image" as const, train, query, gallery, report }
  })

const tree = (root: string, train: string, query: string, gallery: string, example: string) =>
  `${root}/\n  ${train}/   ${example}, ...\n  ${query}/\n  ${gallery}/`

/**
 * Market-1501 (Zheng et al., ICCV 2015): `bounding_box_train/`, `query/`, `bounding_box_test/`; names
 * `0002_c1s1_000451_03.jpg` (identity, camera c1..c6, sequence, frame, box). Identity -1 is junk (skipped and
 * counted); identity 0000 are distractors (kept in the gallery, they match no query).
 */
export const market1501: FolderLayout = {
  dataset: "Market-1501",
  train: "bounding_box_train",
  query: "query",
  gallery: "bounding_box_test",
  pattern: /^([-\d]+)_c(\d)/,
  cameraBase: 1,
  junk: new Set([-1]),
  layout: tree("Market-1501-v15.09.15", "bounding_box_train", "query", "bounding_box_test", "0002_c1s1_000451_03.jpg")
}

/** DukeMTMC-reID (Zheng et al., ICCV 2017): Market-1501's folders; names `0001_c2_f0046182.jpg` (cameras c1..c8). */
export const dukeMTMCReID: FolderLayout = {
  dataset: "DukeMTMC-reID",
  train: "bounding_box_train",
  query: "query",
  gallery: "bounding_box_test",
  pattern: /^([-\d]+)_c(\d)/,
  cameraBase: 1,
  layout: tree("DukeMTMC-reID", "bounding_box_train", "query", "bounding_box_test", "0001_c2_f0046182.jpg")
}

/**
 * CUHK03-NP (the new protocol of Zhong et al., CVPR 2017: 767 train / 700 test identities): `labeled/` or
 * `detected/`, each with Market-1501's folders; names `0001_c1_1.png` (cameras c1, c2).
 */
export const cuhk03NP = (variant: "labeled" | "detected"): FolderLayout => ({
  dataset: `CUHK03-NP (${variant})`,
  train: path.join(variant, "bounding_box_train"),
  query: path.join(variant, "query"),
  gallery: path.join(variant, "bounding_box_test"),
  pattern: /^([-\d]+)_c(\d)/,
  cameraBase: 1,
  layout: `cuhk03-np/\n  ${variant}/\n    bounding_box_train/   0001_c1_1.png, ...\n    query/\n    bounding_box_test/`
})

/** VeRi-776 (Liu et al., ECCV 2016): `image_train/`, `image_query/`, `image_test/`; names `0001_c001_00016450_0.jpg` (cameras c001..c020). */
export const veri776: FolderLayout = {
  dataset: "VeRi-776",
  train: "image_train",
  query: "image_query",
  gallery: "image_test",
  pattern: /^([-\d]+)_c(\d+)/,
  cameraBase: 1,
  layout: tree("VeRi", "image_train", "image_query", "image_test", "0001_c001_00016450_0.jpg")
}

/** Reads Market-1501. */
export const readMarket1501 = (root: string) => read(root, market1501)
/** Reads DukeMTMC-reID. */
export const readDukeMTMCReID = (root: string) => read(root, dukeMTMCReID)
/** Reads CUHK03-NP, `labeled` (default) or `detected` boxes. */
export const readCUHK03NP = (root: string, variant: "labeled" | "detected" = "labeled") => read(root, cuhk03NP(variant))
/** Reads VeRi-776. */
export const readVeRi776 = (root: string) => read(root, veri776)
