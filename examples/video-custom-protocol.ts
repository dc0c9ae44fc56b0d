/**
 * An MDKT protocol composed in TypeScript instead of a file, and a video model used on its own:
 *
 * 1. a clip model (`VideoModel`) with the attention-free quality-weighted temporal pooling embeds clips of any
 *    length, and images as one-frame clips;
 * 2. a custom protocol where the student sees 2 frames of the teacher's 4 (not a single image), Table 1 reduced
 *    to three rows and Table 2 to frozen vs mutual, on synthetic vehicles (reported as top-1 / top-5 / mAP).
 *
 *     node --conditions=@reidfx/source examples/video-custom-protocol.ts
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/video-custom-protocol.ts   # tiny and fast
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Backend, Rng } from "@reidfx/tensor"
import { AblationTable, MdktProtocolFile, MdktRunner } from "@reidfx/reid"
import { VideoModel } from "@reidfx/video"
import * as tf from "@tensorflow/tfjs-core"
import { Console, Effect } from "effect"

const smoke = process.env["REIDFX_SMOKE"] === "1"
const backbone = smoke
  ? { kind: "reference" as const, stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 as const }
  : { kind: "reference" as const, stemWidth: 8, widths: [8, 16, 32, 64], blocks: [1, 1, 1, 1], lastStride: 1 as const }

const program = Effect.gen(function* () {
  // 1. a clip model on its own
  const model = yield* VideoModel.make({ backbone, temporalPooling: "quality", classes: 10 })
  const shapes = tf.tidy(() => {
    const clip = model.embed(tf.randomUniform([2, 6, 32, 16, 3], -1, 1, "float32", 1))
    const image = model.embed(tf.randomUniform([2, 32, 16, 3], -1, 1, "float32", 2))
    return [clip.shape, image.shape]
  })
  yield* Console.log(
    `clip model (${model.parameterCount} parameters): 6-frame clips -> ${JSON.stringify(shapes[0])}, images -> ${JSON.stringify(shapes[1])}`
  )

  // 2. a custom protocol, declared as data
  const protocol = yield* MdktProtocolFile.decode({
    name: "mdkt-vehicles-two-frames",
    kind: "mdkt",
    description: "student sees 2 of the teacher's 4 frames; synthetic vehicles",
    data: {
      world: smoke
        ? {
            kind: "synthetic",
            objects: "vehicles",
            trainIdentities: 4,
            testIdentities: 4,
            cameras: 2,
            trackletsPerCamera: 1,
            frames: 4
          }
        : { kind: "synthetic", objects: "vehicles", trainIdentities: 24, testIdentities: 24, frames: 8 },
      height: smoke ? 16 : 32,
      width: smoke ? 16 : 32
    },
    model: { backbone, temporalPooling: "quality" },
    teacher: {
      frames: 4,
      epochs: smoke ? 1 : 6,
      batchesPerEpoch: smoke ? 1 : 8,
      batch: smoke ? { identities: 2, instances: 2 } : { identities: 6, instances: 4 }
    },
    student: {
      frames: 2,
      teacherFrames: 4,
      epochs: smoke ? 1 : 6,
      batchesPerEpoch: smoke ? 1 : 5,
      batch: smoke ? { identities: 2, instances: 2 } : { identities: 6, instances: 4 }
    },
    tables: {
      table1: [
        { label: "TR", terms: ["tr"] },
        { label: "TR+TCL", terms: ["tr", "mtcl"] },
        { label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }
      ],
      table2: [
        { label: "freeze teacher", mode: "frozen" },
        { label: "with mutual", mode: "mutual" }
      ]
    },
    seeds: [0]
  })
  yield* Console.log(MdktProtocolFile.toYaml(protocol).split("\n").slice(0, 12).join("\n") + "\n...")
  const run = yield* MdktRunner.run(protocol, { log: (l) => Console.log(l) })
  yield* Console.log(AblationTable.toText(run))
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-custom-"))
  fs.writeFileSync(path.join(out, "results.json"), JSON.stringify(AblationTable.toJson(run), null, 1))
  yield* Console.log(`results: ${path.join(out, "results.json")}`)
})

await Effect.runPromise(Effect.scoped(program).pipe(Rng.withSeed(0), Effect.provide(Backend.layerFromConfig)))
process.exit(0)
