/**
 * The catalog entry of a video dataset layout on disk (what `{ kind: layout, layout: <name>, root }` names in an
 * MDKT protocol's `data.world`): its name (and the older spellings still accepted), what its identities are, how
 * its tracklets are read, and the evaluation rules its official protocol fixes (junk and distractor identities,
 * whether the gallery holds the query tracklets). `VideoLayoutCatalog` collects the entries; the protocol's layout
 * names and `DatasetFrames.readTracklets` come from it, so adding a video dataset is one entry.
 * @since 0.3.0
 */
import type { Dataset, DatasetNotFound, IdentityOverlap, MalformedMetadata } from "@reidfx/data"
import type { Registry } from "@reidfx/tensor"
import type { Effect } from "effect"

/** What a reader is given besides the root (the protocol's per-dataset options). @category models */
export interface ReadOptions {
  /** Drop tracklets shorter than this (MARS: torchreid's `min_seq_len`). */
  readonly minFrames?: number
}

/** A catalog entry of a video dataset layout. @category models */
export interface VideoLayout extends Registry.Entry {
  readonly objects: "persons" | "vehicles"
  /** Reads the dataset at `root` into items grouped by tracklet (files are listed, not decoded). */
  read(
    root: string,
    options: ReadOptions
  ): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata | IdentityOverlap>
  /** Identities that are neither right nor wrong (removed from each query's ranking). */
  readonly junkIdentities: ReadonlyArray<number>
  /** Identities that are only distractors in the gallery. */
  readonly distractorIdentities: ReadonlyArray<number>
  /** The official protocol keeps the query tracklets in the gallery (MARS, as TKP; see `VideoEvaluation`). */
  readonly galleryIncludesQueries: boolean
}

/** An entry (the identity, for type checking; keeps the literal name). @category constructors */
export const make = <const Name extends string>(
  entry: VideoLayout & { readonly name: Name }
): VideoLayout & { readonly name: Name } => entry
