/**
 * The catalog of video dataset layouts an MDKT protocol may read (one entry each, see `layouts/VideoLayout.ts`):
 *
 * | name | reader | tracklets | evaluation |
 * |---|---|---|---|
 * | `mars` | `Readers.mars(root, { minFrames })` | the rows of `tracks_{train,test}_info` | junk -1, distractors 0, query tracklets in the gallery (the official protocol) |
 * | `dukeMTMCVideoReID` (also `dukemtmcVideoReid`) | `Readers.dukeMTMCVideoReID(root)` | `<split>/<identity>/<tracklet>/` | as given |
 * | `veri776` | `Readers.veri776(root)` then `Dataset.groupTracklets` | one vehicle's images in one camera, by name | as given (top-1 / top-5 / mAP) |
 *
 * `VideoWorld.VideoLayoutDataset.layout` is derived from it; a program adds a layout with `builtin.with(entry)`.
 * @since 0.3.0
 */
import { Dataset, Readers } from "@reidfx/data"
import { Registry } from "@reidfx/tensor"
import { Effect } from "effect"
import * as VideoLayout from "./layouts/VideoLayout.ts"

export { VideoLayout }

/** The built-in entries. @category catalog */
export const entries = [
  VideoLayout.make({
    name: "mars",
    description: "MARS (Zheng et al. ECCV 2016), with its official evaluation",
    objects: "persons",
    read: (root, options) =>
      Readers.mars(root, options.minFrames === undefined ? {} : { minFrames: options.minFrames }),
    junkIdentities: [-1],
    distractorIdentities: [0],
    galleryIncludesQueries: true
  }),
  VideoLayout.make({
    name: "dukeMTMCVideoReID",
    aliases: ["dukemtmcVideoReid"],
    description: "DukeMTMC-VideoReID (Wu et al. CVPR 2018)",
    objects: "persons",
    read: (root) => Readers.dukeMTMCVideoReID(root),
    junkIdentities: [],
    distractorIdentities: [],
    galleryIncludesQueries: false
  }),
  VideoLayout.make({
    name: "veri776",
    description: "VeRi-776 (Liu et al. ECCV 2016), one vehicle's images in one camera as a tracklet",
    objects: "vehicles",
    read: (root) => Readers.veri776(root).pipe(Effect.map(Dataset.groupTracklets)),
    junkIdentities: [],
    distractorIdentities: [],
    galleryIncludesQueries: false
  })
] as const

/** The names of the built-in video layouts. */
export type Name = (typeof entries)[number]["name"]

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<VideoLayout.VideoLayout> = Registry.make<VideoLayout.VideoLayout>(
  "video dataset layout",
  entries
)

/** The Schema of the video layout names (aliases decode to the names). @category schemas */
export const LayoutName = Registry.nameSchema<Name>(builtin)
