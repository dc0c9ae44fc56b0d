/**
 * A dataset index: the items of the train, query and gallery splits, plus what its reader skipped.
 *
 * Conventions (those of Market-1501 and torchreid):
 * - train identities and test (query/gallery) identities are disjoint;
 * - evaluation discards gallery items with the query's identity AND camera (same-camera matches);
 * - a gallery may hold distractors (identity 0 in Market-1501) that match no query.
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Item, type Labelled } from "./Item.ts"

/** The three splits of a ReID dataset. */
export const Split = Schema.Literals(["train", "query", "gallery"])
export type Split = typeof Split.Type

/** What a reader skipped, by reason, with a few example paths. */
export const ParseReport = Schema.Struct({
  /** Files whose name did not parse, per reason. */
  skipped: Schema.Record(Schema.String, Schema.Int),
  /** Up to a few example file names per reason. */
  examples: Schema.Record(Schema.String, Schema.Array(Schema.String))
})
export type ParseReport = typeof ParseReport.Type

/** An image dataset (`kind: "image"`) or a video one (`kind: "video"`: every item has `tracklet` and `frame`). */
export const Dataset = Schema.Struct({
  name: Schema.String,
  kind: Schema.Literals(["image", "video"]),
  train: Schema.Array(Item),
  query: Schema.Array(Item),
  gallery: Schema.Array(Item),
  report: Schema.optionalKey(ParseReport)
})
export type Dataset = typeof Dataset.Type

/** An empty report. */
export const emptyReport = (): { skipped: Record<string, number>; examples: Record<string, Array<string>> } => ({
  skipped: {},
  examples: {}
})

/** Counts one skipped file in a mutable report. */
export const skip = (
  report: { skipped: Record<string, number>; examples: Record<string, Array<string>> },
  reason: string,
  file: string
): void => {
  report.skipped[reason] = (report.skipped[reason] ?? 0) + 1
  const ex = (report.examples[reason] ??= [])
  if (ex.length < 5) ex.push(file)
}

/** The sorted distinct identities of some items. */
export const identities = (items: ReadonlyArray<Labelled>): Array<number> =>
  [...new Set(items.map((i) => i.id))].sort((a, b) => a - b)

/** The sorted distinct cameras of some items. */
export const cameras = (items: ReadonlyArray<Labelled>): Array<number> =>
  [...new Set(items.map((i) => i.cam))].sort((a, b) => a - b)

/**
 * The contiguous training labels of a set of items: identity -> 0..K-1 in increasing identity order (torchreid's
 * `relabel`). Classifier heads have K outputs.
 */
export const labelMap = (items: ReadonlyArray<Labelled>): ReadonlyMap<number, number> =>
  new Map(identities(items).map((id, label) => [id, label]))

/** Counts per split: items, identities, cameras, tracklets. */
export const summary = (
  dataset: Dataset
): Record<Split, { items: number; identities: number; cameras: number; tracklets: number }> => {
  const one = (items: ReadonlyArray<Item>) => ({
    items: items.length,
    identities: identities(items).length,
    cameras: cameras(items).length,
    tracklets: new Set(items.filter((i) => i.tracklet !== undefined).map((i) => i.tracklet)).size
  })
  return { train: one(dataset.train), query: one(dataset.query), gallery: one(dataset.gallery) }
}

/** A tracklet: the frames (sorted by frame index) of one identity seen by one camera. */
export interface Tracklet extends Labelled {
  readonly tracklet: number
  readonly frames: ReadonlyArray<Item>
}

/** What {@link trackletGroups} reads of a frame (any {@link Item} is one). */
export interface TrackletFrame extends Labelled {
  readonly tracklet?: number
  readonly frame?: number
  readonly domain?: string
}

/**
 * Groups video frames into tracklets by `domain` + `tracklet`, frames sorted by frame index, in order of first
 * appearance (a group without a `tracklet` id gets its position as id). Items without a `tracklet` become
 * one-frame tracklets.
 */
export const trackletGroups = <F extends TrackletFrame>(
  items: ReadonlyArray<F>
): Array<{
  readonly id: number
  readonly cam: number
  readonly tracklet: number
  readonly frames: ReadonlyArray<F>
}> => {
  const groups = new Map<string, Array<F>>()
  let single = 0
  for (const item of items) {
    const key = item.tracklet === undefined ? `single/${single++}` : `${item.domain ?? ""}/${item.tracklet}`
    let g = groups.get(key)
    if (g === undefined) groups.set(key, (g = []))
    g.push(item)
  }
  const out: Array<{
    readonly id: number
    readonly cam: number
    readonly tracklet: number
    readonly frames: ReadonlyArray<F>
  }> = []
  let n = 0
  for (const frames of groups.values()) {
    frames.sort((a, b) => (a.frame ?? 0) - (b.frame ?? 0))
    const first = frames[0]!
    out.push({ id: first.id, cam: first.cam, tracklet: first.tracklet ?? n, frames })
    n++
  }
  return out
}

/** Groups video items into tracklets (sorted by tracklet id). Items without a `tracklet` become one-frame tracklets. */
export const tracklets = (items: ReadonlyArray<Item>): Array<Tracklet> =>
  trackletGroups(items).sort((a, b) => a.tracklet - b.tracklet || a.id - b.id)

/** Keeps the items of the first `n` identities (in increasing identity order) of each split, as LReID does. */
export const truncate = (dataset: Dataset, n: number): Dataset => {
  const keep = (items: ReadonlyArray<Item>) => {
    const ids = new Set(identities(items).slice(0, n))
    return items.filter((i) => ids.has(i.id))
  }
  const train = keep(dataset.train)
  const queryIds = new Set(identities(dataset.query).slice(0, n))
  return {
    ...dataset,
    train,
    query: dataset.query.filter((i) => queryIds.has(i.id)),
    gallery: dataset.gallery.filter((i) => queryIds.has(i.id))
  }
}

/**
 * Turns an image dataset into a video one by grouping the items of each (split, identity, camera) into one
 * tracklet, frames ordered by source path (file names of VeRi-776 and Market-1501 sort by time within a
 * camera). This is the usual way VeRi-776 is used for video / image-to-video ReID, where each vehicle's
 * images from one camera come from one track.
 */
export const groupTracklets = (dataset: Dataset): Dataset => {
  let next = 0
  const group = (items: ReadonlyArray<Item>): Array<Item> => {
    const by = new Map<string, Array<Item>>()
    for (const item of items) {
      const key = `${item.domain ?? ""}/${item.id}/${item.cam}`
      let g = by.get(key)
      if (g === undefined) by.set(key, (g = []))
      g.push(item)
    }
    const out: Array<Item> = []
    for (const g of by.values()) {
      const t = next++
      g.slice()
        .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
        .forEach((item, frame) => {
          out.push({ ...item, tracklet: t, frame })
        })
    }
    return out
  }
  return {
    ...dataset,
    name: `${dataset.name} (tracklets)`,
    kind: "video",
    train: group(dataset.train),
    query: group(dataset.query),
    gallery: group(dataset.gallery)
  }
}

const keyOf = (item: Item): string => (item.source._tag === "File" ? item.source.path : item.source.key)
