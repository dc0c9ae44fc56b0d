/**
 * MDKT, image-to-video ReID by mutual discriminative knowledge transfer (`@reidfx/reid`'s `Mdkt`, on `@reidfx/video`'s clip models), from a protocol file:
 * stage 1 trains a video teacher on 4-frame clips, stage 2 trains teacher and a 1-frame student together for each
 * row of the seed's Table 1 (which loss terms) and Table 2 (frozen teacher / without mutual / with mutual), then
 * prints both tables (I2V and V2V CMC-1 and mAP) and writes `results.json`, `report.md` and `report.html`.
 *
 *     node --conditions=@reidfx/source examples/video-mdkt.ts                                   # protocols/mdkt-synthetic.yaml, 3 seeds, ~3 min idle
 *     node --conditions=@reidfx/source examples/video-mdkt.ts protocols/mdkt-synthetic.yaml 0,1,2  # the 3-seed study
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/video-mdkt.ts                    # tiny and fast
 *
 * The same run is `reidfx run protocols/mdkt-synthetic.yaml` (the CLI dispatches `kind: mdkt` files to
 * `Mdkt.runFile`).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Backend } from "@reidfx/tensor"
import { Mdkt, MdktProtocolFile } from "@reidfx/reid"
import { Effect } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"
const file = process.argv[2] ?? "protocols/mdkt-synthetic.yaml"
const seeds = process.argv[3]?.split(",").map(Number)

const program = Effect.gen(function* () {
  const text = fs.readFileSync(path.resolve(import.meta.dirname, "..", file), "utf8")
  const protocol = yield* MdktProtocolFile.parse(text, file)
  const tiny = smoke
    ? {
        ...protocol,
        data: {
          ...protocol.data,
          height: 16,
          width: 8,
          world: {
            ...protocol.data.world,
            trainIdentities: 4,
            testIdentities: 4,
            cameras: 2,
            trackletsPerCamera: 1,
            frames: 4
          }
        },
        model: {
          ...protocol.model,
          backbone: { kind: "reference" as const, stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 as const }
        },
        teacher: {
          ...protocol.teacher,
          frames: 3,
          epochs: 1,
          batchesPerEpoch: 1,
          batch: { identities: 2, instances: 2 }
        },
        student: {
          ...protocol.student,
          teacherFrames: 3,
          epochs: 1,
          batchesPerEpoch: 1,
          batch: { identities: 2, instances: 2 }
        },
        tables: {
          table1: [
            { label: "TR", terms: ["tr" as const] },
            { label: "ALL", terms: ["tr" as const, "mkd" as const, "pd" as const, "mtcl" as const] }
          ],
          table2: "seed" as const
        },
        seeds: [0]
      }
    : protocol
  const out = smoke ? fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-smoke-")) : path.join("runs", protocol.name)
  yield* Mdkt.runProtocol(tiny, { out, ...(seeds === undefined ? {} : { seeds }) })
})

await Effect.runPromise(program.pipe(Effect.provide(Backend.layerFromConfig)))
process.exit(0)
