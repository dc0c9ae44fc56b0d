/**
 * DukeMTMC-VideoReID (Wu et al., CVPR 2018), read as torchreid does: `train/`, `query/`, `gallery/`, each with
 * `<identity>/<tracklet>/<frames>`; frame names `0001_C6_F0016_X30823.jpg` give the camera (C1..C8). Frames
 * are sorted by name and numbered from 0; tracklet ids are assigned in reading order (train, query, gallery).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import type { DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"

export const layout = `DukeMTMC-VideoReID/
  train/0001/0001/0001_C6_F0016_X30823.jpg, ...   (<identity>/<tracklet>/<frames>)
  query/...
  gallery/...`

const cameraPattern = /_C(\d+)_/

/** Reads DukeMTMC-VideoReID rooted at its folder. */
export const read = (root: string): Effect.Effect<Dataset.Dataset, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireDir("DukeMTMC-VideoReID", root, layout)
    const report = Dataset.emptyReport()
    let tracklet = 0
    const split = (name: string) =>
      Effect.gen(function* () {
        const dir = path.join(root, name)
        yield* Files.requireDir("DukeMTMC-VideoReID", dir, layout)
        const items: Array<Item> = []
        for (const pidDir of yield* Files.list(dir, "dirs")) {
          const id = Number.parseInt(pidDir, 10)
          if (!Number.isInteger(id)) {
            Dataset.skip(report, `${name}: identity folder is not a number`, pidDir)
            continue
          }
          for (const tid of yield* Files.list(path.join(dir, pidDir), "dirs")) {
            const frames = yield* Files.listImages(path.join(dir, pidDir, tid))
            const m = frames.length === 0 ? null : cameraPattern.exec(frames[0]!)
            if (m === null) {
              Dataset.skip(report, `${name}: tracklet without frames named <id>_C<camera>_...`, path.join(pidDir, tid))
              continue
            }
            const t = tracklet++
            frames.forEach((frame, f) => {
              items.push({
                source: { _tag: "File", path: path.join(dir, pidDir, tid, frame) },
                id,
                cam: Number.parseInt(m[1]!, 10) - 1,
                tracklet: t,
                frame: f
              })
            })
          }
        }
        return items
      })
    const train = yield* split("train")
    const query = yield* split("query")
    const gallery = yield* split("gallery")
    return { name: "DukeMTMC-VideoReID", kind: "video" as const, train, query, gallery, report }
  })
