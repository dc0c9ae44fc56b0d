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
import {
  type Dataset,
  type DatasetLayout,
  type DatasetNotFound,
  type IdentityOverlap,
  LayoutCatalog,
  type MalformedMetadata,
  Readers
} from "@reidfx/data"
import { Registry } from "@reidfx/tensor"
import { type Effect, Schema } from "effect"

/** What reading a dataset may fail with. */
export type ReadError = DatasetNotFound | MalformedMetadata | IdentityOverlap

/** The image layouts of `@reidfx/data`'s `LayoutCatalog` (a video layout cannot train the image baseline). */
const imageLayouts = Registry.make<DatasetLayout.DatasetLayout>(
  "dataset layout",
  LayoutCatalog.builtin.entries.filter((e) => e.kind === "image")
)

/** Every spelling a file or flag may use for an image layout: the catalog's names and their older aliases. @category models */
export const layoutNames: ReadonlyArray<LayoutName> = imageLayouts.spellings
/** The name of a dataset layout (an image layout of `@reidfx/data`'s catalog). */
export type LayoutName = string

/** The canonical image layout names, in catalog order (for help texts and messages). @category models */
export const canonicalLayoutNames: ReadonlyArray<LayoutName> = imageLayouts.names

/** Reads an image dataset in a layout (any spelling of `layoutNames`) through its catalog entry. @category constructors */
export const readLayout = (name: LayoutName, root: string): Effect.Effect<Dataset.Dataset, ReadError> =>
  imageLayouts.require(name).read(root)

/** A dataset in a layout, or a CSV manifest. @category models */
export const DatasetSpec = Schema.Union([
  Schema.Struct({ layout: LayoutCatalog.ImageLayoutName, root: Schema.NonEmptyString }),
  Schema.Struct({ manifest: Schema.NonEmptyString })
])
export type DatasetSpec = typeof DatasetSpec.Type

/** Reads the dataset a spec names. @category constructors */
export const read = (spec: DatasetSpec): Effect.Effect<Dataset.Dataset, ReadError> =>
  "manifest" in spec ? Readers.manifest(spec.manifest) : readLayout(spec.layout, spec.root)
