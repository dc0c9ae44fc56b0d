/**
 * The `dataset` key of a training run: train and evaluate on a dataset on disk instead of the synthetic world,
 * in any layout `@reidfx/data`'s readers know (the names of the protocol files' `layout`) or a generic CSV manifest.
 *
 * ```yaml
 * dataset: { layout: market1501, root: data/market1501 }   # train on bounding_box_train, evaluate query vs test
 * dataset: { manifest: data/mine.csv }                       # path,id,cam[,split]
 * ```
 * @since 0.1.0
 */
import { type Dataset, type DatasetNotFound, type IdentityOverlap, type MalformedMetadata, Readers } from "@reidfx/data"
import { type Effect, Schema } from "effect"

/** What reading a dataset may fail with. */
export type ReadError = DatasetNotFound | MalformedMetadata | IdentityOverlap

/** Each layout name and its reader. @category models */
export const layoutReaders: {
  readonly [K in LayoutName]: (root: string) => Effect.Effect<Dataset.Dataset, ReadError>
} = {
  market1501: (root) => Readers.market1501(root),
  dukemtmcReid: (root) => Readers.dukeMTMCReID(root),
  msmt17: (root) => Readers.msmt17(root),
  cuhk03: (root) => Readers.cuhk03NP(root),
  cuhk03detected: (root) => Readers.cuhk03NP(root, "detected"),
  veri776: (root) => Readers.veri776(root),
  generic: (root) => Readers.folders(root),
  cuhksysu: (root) => Readers.cuhkSysu(root),
  viper: (root) => Readers.viper(root),
  prid: (root) => Readers.prid(root),
  grid: (root) => Readers.grid(root),
  ilids: (root) => Readers.ilids(root),
  cuhk01: (root) => Readers.cuhk01(root),
  cuhk02: (root) => Readers.cuhk02(root),
  sensereid: (root) => Readers.senseReID(root)
}

/** The layout names (as in protocol files). @category models */
export const layoutNames = [
  "market1501",
  "dukemtmcReid",
  "msmt17",
  "cuhk03",
  "cuhk03detected",
  "veri776",
  "generic",
  "cuhksysu",
  "viper",
  "prid",
  "grid",
  "ilids",
  "cuhk01",
  "cuhk02",
  "sensereid"
] as const
export type LayoutName = (typeof layoutNames)[number]

/** A dataset in a layout, or a CSV manifest. @category models */
export const DatasetSpec = Schema.Union([
  Schema.Struct({ layout: Schema.Literals(layoutNames), root: Schema.NonEmptyString }),
  Schema.Struct({ manifest: Schema.NonEmptyString })
])
export type DatasetSpec = typeof DatasetSpec.Type

/** Reads the dataset a spec names. @category constructors */
export const read = (spec: DatasetSpec): Effect.Effect<Dataset.Dataset, ReadError> =>
  "manifest" in spec ? Readers.manifest(spec.manifest) : layoutReaders[spec.layout](spec.root)
