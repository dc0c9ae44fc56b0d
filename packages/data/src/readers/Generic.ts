/**
 * Generic layouts for your own data.
 *
 * **Folders** (`readFolders`): one folder per identity, `<root>/<identity>/<images>`, all in the train split;
 * or `<root>/{train,query,gallery}/<identity>/<images>`. A numeric folder name is the identity, other names
 * are numbered in sorted order. The camera is read from the file name (`c3` or `C3` after a `_` or at the
 * start, 1-based, e.g. `0001_c3_x.jpg`), else 0.
 *
 * **CSV manifest** (`readManifest`): a header line with at least `path,id,cam` and optionally `split`
 * (`train` default, `query`, `gallery`), `tracklet`, `frame`; paths relative to the CSV's folder; `cam` is
 * 0-based. Rows that do not parse are skipped and counted in the report.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Confine } from "@reidfx/tensor"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import { type DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"

export const folderLayout = `<root>/
  <identity>/<images>            (all in the train split)
or
<root>/
  train/<identity>/<images>
  query/<identity>/<images>
  gallery/<identity>/<images>`

export const manifestLayout = `manifest.csv:
  path,id,cam[,split][,tracklet][,frame]
  images/0001_a.jpg,1,0,train
  ...`

const cameraPattern = /(?:^|_)[cC](\d+)/

/** Reads one-folder-per-identity data. */
export const readFolders = (
  root: string,
  name = path.basename(root)
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireDir(name, root, folderLayout)
    const report = Dataset.emptyReport()
    const splitDirs = yield* Files.exists(path.join(root, "train"))
    const numbering = new Map<string, number>()
    const read = (dir: string, split: string) =>
      Effect.gen(function* () {
        if (!(yield* Files.exists(dir))) return [] as Array<Item>
        const items: Array<Item> = []
        const links = (at: string) => ({
          root,
          skipped: (name: string, reason: string) => Dataset.skip(report, `${split}: ${reason}`, path.join(at, name))
        })
        for (const idDir of yield* Files.list(dir, "dirs", links(""))) {
          let id = /^-?\d+$/.test(idDir) ? Number.parseInt(idDir, 10) : numbering.get(idDir)
          if (id === undefined) numbering.set(idDir, (id = numbering.size))
          for (const file of yield* Files.list(path.join(dir, idDir), "files", links(idDir))) {
            if (!Files.isImage(file)) {
              Dataset.skip(report, `${split}: not an image`, path.join(idDir, file))
              continue
            }
            const m = cameraPattern.exec(file)
            items.push({
              source: { _tag: "File", path: path.join(dir, idDir, file) },
              id,
              cam: m === null ? 0 : Math.max(0, Number.parseInt(m[1]!, 10) - 1)
            })
          }
        }
        return items
      })
    const train = yield* read(splitDirs ? path.join(root, "train") : root, "train")
    const query = splitDirs ? yield* read(path.join(root, "query"), "query") : []
    const gallery = splitDirs ? yield* read(path.join(root, "gallery"), "gallery") : []
    return { name, kind: "image" as const, train, query, gallery, report }
  })

/** Splits one CSV line (double-quoted fields may contain commas; `""` is a quote). */
const splitCsv = (line: string): Array<string> => {
  const out: Array<string> = []
  let cur = ""
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"') quoted = true
    else if (ch === ",") {
      out.push(cur.trim())
      cur = ""
    } else cur += ch
  }
  out.push(cur.trim())
  return out
}

/** Options of {@link readManifest}. */
export interface ManifestOptions {
  /**
   * Accept absolute paths in the manifest (default false). Without it every path must be relative and stay inside
   * the manifest's folder: `../x.jpg` or `/data/x.jpg` is a {@link MalformedMetadata} naming the row's path.
   */
  readonly allowAbsolutePaths?: boolean
}

/**
 * Reads a CSV manifest. Paths are relative to the manifest's folder and must stay inside it (see
 * `ManifestOptions.allowAbsolutePaths` for manifests written with absolute paths on purpose).
 */
export const readManifest = (
  file: string,
  name = path.basename(file, path.extname(file)),
  options: ManifestOptions = {}
): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireFile(name, file, manifestLayout)
    const rows = Files.lines(yield* Files.readText(file))
    const header = splitCsv(rows[0] ?? "").map((h) => h.toLowerCase())
    const col = (c: string) => header.indexOf(c)
    for (const required of ["path", "id", "cam"]) {
      if (col(required) < 0)
        return yield* new MalformedMetadata({
          path: file,
          detail: `the header must name the columns path,id,cam; got "${rows[0] ?? ""}"`
        })
    }
    const report = Dataset.emptyReport()
    const splits: Record<"train" | "query" | "gallery", Array<Item>> = { train: [], query: [], gallery: [] }
    const base = path.dirname(file)
    let video = false
    for (const line of rows.slice(1)) {
      const f = splitCsv(line)
      const p = f[col("path")]
      const id = Number(f[col("id")])
      const cam = Number(f[col("cam")])
      const split = col("split") >= 0 ? (f[col("split")] ?? "train") : "train"
      const tracklet = col("tracklet") >= 0 ? Number(f[col("tracklet")]) : undefined
      const frame = col("frame") >= 0 ? Number(f[col("frame")]) : undefined
      const ok =
        p !== undefined &&
        p.length > 0 &&
        Number.isInteger(id) &&
        Number.isInteger(cam) &&
        cam >= 0 &&
        (split === "train" || split === "query" || split === "gallery") &&
        (tracklet === undefined || (Number.isInteger(tracklet) && tracklet >= 0)) &&
        (frame === undefined || (Number.isInteger(frame) && frame >= 0))
      if (!ok) {
        Dataset.skip(report, "row does not parse (path, integer id, camera >= 0, split train|query|gallery)", line)
        continue
      }
      const resolved = Confine.resolveLexically(base, p!, options.allowAbsolutePaths === true)
      if (resolved === undefined) {
        return yield* new MalformedMetadata({
          path: file,
          detail: `path "${p}" resolves outside ${path.resolve(base)}; manifest paths must stay inside the manifest's folder${path.isAbsolute(p!) ? " (absolute paths need the allowAbsolutePaths option)" : ""}`
        })
      }
      const item: Item = {
        source: { _tag: "File", path: path.isAbsolute(p!) ? p! : path.join(base, p!) },
        id,
        cam,
        ...(tracklet === undefined ? {} : { tracklet }),
        ...(frame === undefined ? {} : { frame })
      }
      if (tracklet !== undefined) video = true
      splits[split as "train" | "query" | "gallery"].push(item)
    }
    return { name, kind: video ? ("video" as const) : ("image" as const), ...splits, report }
  })
