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
 * | Occluded-DukeMTMC | `occludedDuke(root)` | image |
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
import * as OccludedDuke from "./readers/OccludedDuke.ts"
import * as PRID from "./readers/PRID.ts"
import * as SenseReID from "./readers/SenseReID.ts"
import * as Verify from "./readers/Verify.ts"
import * as VIPeR from "./readers/VIPeR.ts"

/** Market-1501 (Zheng et al. ICCV 2015): `bounding_box_train/`, `query/`, `bounding_box_test/`. @since 0.1.0 */
export const market1501 = ImageFolders.readMarket1501
/** DukeMTMC-reID (Zheng et al. ICCV 2017): Market-1501's folders. @since 0.1.0 */
export const dukeMTMCReID = ImageFolders.readDukeMTMCReID
/** CUHK03 in the new protocol (CUHK03-NP, Zhong et al. CVPR 2017), `labeled/` or `detected/` in Market-1501's folders. @since 0.1.0 */
export const cuhk03NP = ImageFolders.readCUHK03NP
/** VeRi-776 vehicles (Liu et al. ECCV 2016): `image_train/`, `image_query/`, `image_test/`. @since 0.1.0 */
export const veri776 = ImageFolders.readVeRi776
/** MSMT17 V1 / V2 (Wei et al. CVPR 2018) through its list files; test labels shifted by `testIdOffset`. @since 0.1.0 */
export const msmt17 = MSMT17.read
/** MARS video ReID (Zheng et al. ECCV 2016): tracklets from `info/` and `bbox_train/`, `bbox_test/`. @since 0.1.0 */
export const mars = MARS.read
/** DukeMTMC-VideoReID (Wu et al. CVPR 2018): tracklet folders per identity. @since 0.1.0 */
export const dukeMTMCVideoReID = DukeVideo.read
/** A generic layout: one folder per identity (cameras from the file names when present). @since 0.1.0 */
export const folders = Generic.readFolders
/** A generic CSV manifest of `path,id,cam[,split]` rows, confined to its root unless `allowAbsolutePaths`. @since 0.1.0 */
export const manifest = Generic.readManifest
/** Decodes every image file of a dataset once (4 at a time by default); an unreadable one fails with `CorruptImage`. @since 0.1.0 */
export const verifyImages = Verify.images
/** CUHK-SYSU in LReID's `cuhksysu4reid` layout (Xiao et al. CVPR 2017; TPCD/LifelongReID). @since 0.1.0 */
export const cuhkSysu = CUHKSYSU.read
/** VIPeR (Gray and Tao, ECCV 2008) with LReID's half/half split convention. @since 0.1.0 */
export const viper = VIPeR.read
/** PRID2011 single-shot (Hirzer et al. SCIA 2011) with LReID's split convention. @since 0.1.0 */
export const prid = PRID.read
/** GRID (Loy et al. 2009) with its own `features_and_partitions.mat` partitions. @since 0.1.0 */
export const grid = GRID.read
/** i-LIDS (Zheng et al. BMVC 2009) with LReID's split convention. @since 0.1.0 */
export const ilids = ILIDS.read
/** CUHK01 (Li et al. ACCV 2012) with LReID's split convention. @since 0.1.0 */
export const cuhk01 = CUHK01.read
/** CUHK02 (Li and Wang, CVPR 2013): pairs P1-P4 train, P5 test, as LReID. @since 0.1.0 */
export const cuhk02 = CUHK02.read
/** SenseReID (Zhao et al. CVPR 2017): test probe and gallery only. @since 0.1.0 */
export const senseReID = SenseReID.read
/** Occluded-DukeMTMC (Miao et al. ICCV 2019): Market-1501's folders under `Occluded_Duke/`. @since 0.3.0 */
export const occludedDuke = OccludedDuke.read

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
  senseReID: SenseReID.layout,
  occludedDuke: OccludedDuke.folders.layout
} as const
