/**
 * The catalog entry of a dataset layout on disk: what a reader file exports so that a protocol can write
 * `{ kind: layout, layout: <name>, root }`. An entry gives its name (and the older spellings still accepted), the
 * dataset's display name, whether it holds images or tracklets of persons or vehicles, the expected tree (shown
 * when the root is missing) and its reader. `LayoutCatalog` collects the entries; the protocol's layout names and
 * the benchmark's dispatch come from it.
 * @since 0.3.0
 */
import type { Registry } from "@reidfx/tensor"
import type { Effect } from "effect"
import type * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, IdentityOverlap, MalformedMetadata } from "../errors.ts"

/** A catalog entry of a dataset layout. @category models */
export interface DatasetLayout extends Registry.Entry {
  /** The dataset's display name (e.g. `DukeMTMC-reID`). */
  readonly dataset: string
  /** Still images, or the frames of tracklets. */
  readonly kind: "image" | "video"
  readonly objects: "persons" | "vehicles"
  /** The expected tree, as `DatasetNotFound` shows it. */
  readonly layout: string
  /** Reads the dataset at `root` (files are listed, not decoded). */
  read(root: string): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap>
}

/** An entry (the identity, for type checking; keeps the literal name). @category constructors */
export const make = <const Name extends string>(
  entry: DatasetLayout & { readonly name: Name }
): DatasetLayout & { readonly name: Name } => entry
