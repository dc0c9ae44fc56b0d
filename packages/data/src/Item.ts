/**
 * One image of a dataset: where its pixels come from, whose identity it shows, which camera took it, and for
 * video the tracklet it belongs to and its frame index.
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { RgbImage } from "./Image.ts"

/** Renders an in-memory image at the requested size (the synthetic world's items). Must be deterministic. */
export type Renderer = (height: number, width: number) => RgbImage

const RendererSchema = Schema.declare((u: unknown): u is Renderer => typeof u === "function", {
  title: "Renderer",
  description: "a deterministic function (height, width) => RgbImage"
})

/** An image file on disk (decoded by the image pipeline with sharp). */
export const FileSource = Schema.TaggedStruct("File", { path: Schema.String })
export type FileSource = typeof FileSource.Type

/** An in-memory image rendered on demand; `key` identifies it (cache key, file name on export). */
export const RenderedSource = Schema.TaggedStruct("Rendered", { key: Schema.String, render: RendererSchema })
export type RenderedSource = typeof RenderedSource.Type

/** Where an item's pixels come from. */
export const ImageSource = Schema.Union([FileSource, RenderedSource])
export type ImageSource = typeof ImageSource.Type

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * One item. `id` is the dataset's own identity number (Market-1501: 0 for distractors; junk images, -1, are
 * dropped by the readers), `cam` is 0-based. `tracklet` (unique within a dataset) and `frame` are set for
 * video datasets. `domain` names the source dataset when several are combined (inter-domain task sequences).
 */
export const Item = Schema.Struct({
  source: ImageSource,
  id: Schema.Int,
  cam: NonNegativeInt,
  tracklet: Schema.optionalKey(NonNegativeInt),
  frame: Schema.optionalKey(NonNegativeInt),
  domain: Schema.optionalKey(Schema.String)
})
export type Item = typeof Item.Type

/** The cache / display key of an item's source. */
export const sourceKey = (item: Item): string => (item.source._tag === "File" ? item.source.path : item.source.key)

/** Anything a sampler can group by identity: an item, or a tracklet of items. */
export interface Labelled {
  readonly id: number
  readonly cam: number
}
