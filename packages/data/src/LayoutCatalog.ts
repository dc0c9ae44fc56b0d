/**
 * The catalog of dataset layouts: every layout a protocol may name (`{ kind: layout, layout: <name>, root }`),
 * each an entry (see `layouts/DatasetLayout.ts`) of a reader of `Readers`. The names are the readers' names;
 * the older spellings of earlier protocol files (`dukemtmcReid`, `cuhk03`, `cuhk03detected`, `generic`,
 * `cuhksysu`, `sensereid`, `dukemtmcVideoReid`) are aliases that decode to them. A new layout is one reader file
 * exporting its entry, one test and one line in `entries`.
 * @since 0.3.0
 */
import { Registry } from "@reidfx/tensor"
import * as DatasetLayout from "./layouts/DatasetLayout.ts"
import * as CUHK01 from "./readers/CUHK01.ts"
import * as CUHK02 from "./readers/CUHK02.ts"
import * as CUHKSYSU from "./readers/CUHKSYSU.ts"
import * as DukeVideo from "./readers/DukeMTMCVideoReID.ts"
import * as Generic from "./readers/Generic.ts"
import * as GRID from "./readers/GRID.ts"
import * as ILIDS from "./readers/ILIDS.ts"
import * as ImageFolders from "./readers/ImageFolders.ts"
import * as MARS from "./readers/MARS.ts"
import * as MSMT17 from "./readers/MSMT17.ts"
import { occludedDuke } from "./readers/OccludedDuke.ts"
import * as PRID from "./readers/PRID.ts"
import * as SenseReID from "./readers/SenseReID.ts"
import * as VIPeR from "./readers/VIPeR.ts"

export { DatasetLayout }

const folderEntry = <const Name extends string>(
  name: Name,
  folders: ImageFolders.FolderLayout,
  description: string,
  more: Partial<Omit<DatasetLayout.DatasetLayout, "name">> = {}
) =>
  DatasetLayout.make({
    name,
    description,
    dataset: folders.dataset,
    kind: "image",
    objects: "persons",
    layout: folders.layout,
    read: (root) => ImageFolders.read(root, folders),
    ...more
  })

const persons = { kind: "image", objects: "persons" } as const

/** The built-in entries. @category catalog */
export const entries = [
  folderEntry("market1501", ImageFolders.market1501, "Market-1501 (Zheng et al. ICCV 2015)"),
  folderEntry("dukeMTMCReID", ImageFolders.dukeMTMCReID, "DukeMTMC-reID (Zheng et al. ICCV 2017)", {
    aliases: ["dukemtmcReid"]
  }),
  DatasetLayout.make({
    name: "msmt17",
    description: "MSMT17 V1 / V2 (Wei et al. CVPR 2018) through its list files",
    dataset: "MSMT17",
    ...persons,
    layout: MSMT17.layout("V1"),
    read: (root) => MSMT17.read(root)
  }),
  folderEntry("cuhk03NP", ImageFolders.cuhk03NP("labeled"), "CUHK03-NP labeled boxes (Zhong et al. CVPR 2017)", {
    aliases: ["cuhk03"]
  }),
  folderEntry(
    "cuhk03NPDetected",
    ImageFolders.cuhk03NP("detected"),
    "CUHK03-NP detected boxes, as LReID trains on them",
    { aliases: ["cuhk03detected"] }
  ),
  folderEntry("veri776", ImageFolders.veri776, "VeRi-776 vehicles (Liu et al. ECCV 2016)", { objects: "vehicles" }),
  DatasetLayout.make({
    name: "folders",
    aliases: ["generic"],
    description: "one folder per identity (cameras from the file names when present)",
    dataset: "folders",
    ...persons,
    layout: Generic.folderLayout,
    read: (root) => Generic.readFolders(root)
  }),
  DatasetLayout.make({
    name: "cuhkSysu",
    aliases: ["cuhksysu"],
    description: "CUHK-SYSU in LReID's cuhksysu4reid layout (Xiao et al. CVPR 2017)",
    dataset: "CUHK-SYSU",
    ...persons,
    layout: CUHKSYSU.layout,
    read: (root) => CUHKSYSU.read(root)
  }),
  DatasetLayout.make({
    name: "viper",
    description: "VIPeR (Gray and Tao, ECCV 2008), LReID's split",
    dataset: "VIPeR",
    ...persons,
    layout: VIPeR.layout,
    read: (root) => VIPeR.read(root)
  }),
  DatasetLayout.make({
    name: "prid",
    description: "PRID2011 single-shot (Hirzer et al. SCIA 2011), LReID's split",
    dataset: "PRID2011",
    ...persons,
    layout: PRID.layout,
    read: (root) => PRID.read(root)
  }),
  DatasetLayout.make({
    name: "grid",
    description: "GRID (Loy et al. 2009) with its own partitions",
    dataset: "GRID",
    ...persons,
    layout: GRID.layout,
    read: (root) => GRID.read(root)
  }),
  DatasetLayout.make({
    name: "ilids",
    description: "i-LIDS (Zheng et al. BMVC 2009), LReID's split",
    dataset: "i-LIDS",
    ...persons,
    layout: ILIDS.layout,
    read: (root) => ILIDS.read(root)
  }),
  DatasetLayout.make({
    name: "cuhk01",
    description: "CUHK01 (Li et al. ACCV 2012), LReID's split",
    dataset: "CUHK01",
    ...persons,
    layout: CUHK01.layout,
    read: (root) => CUHK01.read(root)
  }),
  DatasetLayout.make({
    name: "cuhk02",
    description: "CUHK02 (Li and Wang, CVPR 2013): P1-P4 train, P5 test",
    dataset: "CUHK02",
    ...persons,
    layout: CUHK02.layout,
    read: (root) => CUHK02.read(root)
  }),
  DatasetLayout.make({
    name: "senseReID",
    aliases: ["sensereid"],
    description: "SenseReID (Zhao et al. CVPR 2017): test probe and gallery only",
    dataset: "SenseReID",
    ...persons,
    layout: SenseReID.layout,
    read: (root) => SenseReID.read(root)
  }),
  DatasetLayout.make({
    name: "mars",
    description: "MARS video ReID (Zheng et al. ECCV 2016)",
    dataset: "MARS",
    kind: "video",
    objects: "persons",
    layout: MARS.layout,
    read: (root) => MARS.read(root)
  }),
  DatasetLayout.make({
    name: "dukeMTMCVideoReID",
    aliases: ["dukemtmcVideoReid"],
    description: "DukeMTMC-VideoReID (Wu et al. CVPR 2018)",
    dataset: "DukeMTMC-VideoReID",
    kind: "video",
    objects: "persons",
    layout: DukeVideo.layout,
    read: (root) => DukeVideo.read(root)
  }),
  occludedDuke
] as const

/** The names of the built-in layouts. */
export type Name = (typeof entries)[number]["name"]

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<DatasetLayout.DatasetLayout> = Registry.make<DatasetLayout.DatasetLayout>(
  "dataset layout",
  entries
)

/** The Schema of the layout names of image datasets (aliases decode to the names). @category schemas */
export const ImageLayoutName = Registry.nameSchema<Exclude<Name, "mars" | "dukeMTMCVideoReID">>(
  Registry.make(
    "dataset layout",
    builtin.entries.filter((e) => e.kind === "image")
  )
)
