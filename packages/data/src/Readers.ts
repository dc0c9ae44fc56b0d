/**
 * Readers of the real dataset layouts. Each returns a `Dataset` (files are listed, not decoded), fails with
 * `DatasetNotFound` (showing the expected layout) when a folder or file is missing, and counts the files it
 * skipped in `dataset.report`. `verifyImages` decodes every file and names the first corrupt one.
 *
 * | dataset | reader | kind |
 * |---|---|---|
 * | Market-1501 | `market1501(root)` | image |
 * | DukeMTMC-reID | `dukeMTMCReID(root)` | image |
 * | MSMT17 V1 / V2 | `msmt17(root, { version?, includeVal? })` | image |
 * | CUHK03-NP labeled / detected | `cuhk03NP(root, variant)` | image |
 * | VeRi-776 | `veri776(root)` | image |
 * | MARS | `mars(root, { minFrames? })` | video |
 * | DukeMTMC-VideoReID | `dukeMTMCVideoReID(root)` | video |
 * | one folder per identity | `folders(root)` | image |
 * | CSV manifest | `manifest(file)` | image or video |
 * @since 0.1.0
 */
import * as DukeVideo from "./readers/DukeMTMCVideoReID.ts"
import * as Generic from "./readers/Generic.ts"
import * as ImageFolders from "./readers/ImageFolders.ts"
import * as MARS from "./readers/MARS.ts"
import * as MSMT17 from "./readers/MSMT17.ts"
import * as Verify from "./readers/Verify.ts"

export const market1501 = ImageFolders.readMarket1501
export const dukeMTMCReID = ImageFolders.readDukeMTMCReID
export const cuhk03NP = ImageFolders.readCUHK03NP
export const veri776 = ImageFolders.readVeRi776
export const msmt17 = MSMT17.read
export const mars = MARS.read
export const dukeMTMCVideoReID = DukeVideo.read
export const folders = Generic.readFolders
export const manifest = Generic.readManifest
export const verifyImages = Verify.images

/** The expected layouts, as shown by `DatasetNotFound`. */
export const layouts = {
  market1501: ImageFolders.market1501.layout,
  dukeMTMCReID: ImageFolders.dukeMTMCReID.layout,
  cuhk03NP: ImageFolders.cuhk03NP("labeled").layout,
  veri776: ImageFolders.veri776.layout,
  msmt17: MSMT17.layout("V1"),
  mars: MARS.layout,
  dukeMTMCVideoReID: DukeVideo.layout,
  folders: Generic.folderLayout,
  manifest: Generic.manifestLayout
} as const
