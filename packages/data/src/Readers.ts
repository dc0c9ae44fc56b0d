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
 * | CUHK-SYSU (`cuhksysu4reid`) | `cuhkSysu(root, { minImagesPerIdentity? })` | image |
 * | VIPeR | `viper(root, { split?, seed? })` | image |
 * | PRID2011 (single shot) | `prid(root, { split?, seed? })` | image |
 * | GRID | `grid(root, { split? })` | image |
 * | i-LIDS | `ilids(root, { split?, seed? })` | image |
 * | CUHK01 | `cuhk01(root, { split?, seed? })` | image |
 * | CUHK02 | `cuhk02(root)` | image |
 * | SenseReID | `senseReID(root)` | image (test only) |
 * | one folder per identity | `folders(root)` | image |
 * | CSV manifest | `manifest(file)` | image or video |
 * @since 0.1.0
 */
import * as CUHK01 from "./readers/CUHK01.ts"
import * as CUHK02 from "./readers/CUHK02.ts"
import * as CUHKSYSU from "./readers/CUHKSYSU.ts"
import * as DukeVideo from "./readers/DukeMTMCVideoReID.ts"
import * as Generic from "./readers/Generic.ts"
import * as ImageFolders from "./readers/ImageFolders.ts"
import * as MARS from "./readers/MARS.ts"
import * as GRID from "./readers/GRID.ts"
import * as ILIDS from "./readers/ILIDS.ts"
import * as MSMT17 from "./readers/MSMT17.ts"
import * as PRID from "./readers/PRID.ts"
import * as SenseReID from "./readers/SenseReID.ts"
import * as Verify from "./readers/Verify.ts"
import * as VIPeR from "./readers/VIPeR.ts"

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
export const cuhkSysu = CUHKSYSU.read
export const viper = VIPeR.read
export const prid = PRID.read
export const grid = GRID.read
export const ilids = ILIDS.read
export const cuhk01 = CUHK01.read
export const cuhk02 = CUHK02.read
export const senseReID = SenseReID.read

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
  manifest: Generic.manifestLayout,
  cuhkSysu: CUHKSYSU.layout,
  viper: VIPeR.layout,
  prid: PRID.layout,
  grid: GRID.layout,
  ilids: ILIDS.layout,
  cuhk01: CUHK01.layout,
  cuhk02: CUHK02.layout,
  senseReID: SenseReID.layout
} as const
