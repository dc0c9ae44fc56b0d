/**
 * `weights` in an MDKT protocol: the frame network (backbone) of a video model starts from an imported state dict,
 * for teacher and student (`model.weights`) or the teacher alone (`teacher.weights`); a file that does not fit stops
 * the run before any training, naming the tensor.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Model, Safetensors, WeightsImport, WeightsInit } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as Mdkt from "../../src/mdkt/Mdkt.ts"
import { VideoModel } from "@reidfx/video"
import { tinyProtocol } from "./fixtures.ts"

const backbone = { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 } as const
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-mdkt-weights-"))
const cpu = Layer.fresh(Backend.layerCpu)

/** A state dict of the image model with the protocol's backbone (seed 5), and the backbone values by reidfx name. */
const pretrained = Effect.scoped(
  Effect.gen(function* () {
    const model = yield* Model.make({ backbone, head: { neck: "none" } }).pipe(Rng.withSeed(5))
    const file = path.join(dir, "frame.safetensors")
    yield* WeightsImport.exportSafetensors(model, file)
    const values = new Map(
      [...model.weights()]
        .filter(([n]) => n.startsWith("backbone/"))
        .map(([n, t]) => [n, Array.from(t.dataSync())] as const)
    )
    return { file, values, stateDict: WeightsImport.toStateDict(model) }
  })
)

describe("MDKT weights", () => {
  it("the frame network of a video model takes the imported backbone (prefix frame/)", async () => {
    const { file, values } = await Effect.runPromise(pretrained.pipe(Effect.provide(cpu)))
    const imported = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const config = yield* VideoModel.decodeConfig({ backbone, classes: 4 })
          const model = yield* VideoModel.makeTrainable(config, "teacher")
          yield* WeightsInit.apply(model, file, "frame/")
          return new Map([...model.weights()].map(([n, t]) => [n, Array.from(t.dataSync())] as const))
        })
      ).pipe(Effect.provide(cpu))
    )
    expect(values.size).toBeGreaterThan(10)
    for (const [name, v] of values) expect(imported.get(`frame/${name}`), name).toEqual(v)
  })

  it("a teacher file that does not fit stops the run, naming the tensor; model.weights is decoded", async () => {
    const { stateDict } = await Effect.runPromise(pretrained.pipe(Effect.provide(cpu)))
    const broken = path.join(dir, "broken.safetensors")
    await Effect.runPromise(
      Safetensors.write(
        broken,
        stateDict.filter((t) => t.name !== "reidfx.backbone.conv1.weight")
      )
    )
    const protocol = await Effect.runPromise(
      tinyProtocol({
        teacher: { frames: 3, epochs: 1, batchesPerEpoch: 1, batch: { identities: 2, instances: 2 }, weights: broken },
        tables: { table1: [{ label: "TR", terms: ["tr"] }], table2: "none" }
      })
    )
    expect(protocol.teacher.weights).toBe(broken)
    const error = await Effect.runPromise(
      Effect.flip(Mdkt.runProtocol(protocol, { out: path.join(dir, "run"), log: () => Effect.void })).pipe(
        Effect.provide(cpu)
      )
    )
    expect(error._tag).toBe("WeightsMismatch")
    expect(error.message).toContain("missing 1 tensor(s): reidfx.backbone.conv1.weight")
    const withModel = await Effect.runPromise(
      tinyProtocol({ model: { backbone, weights: { path: "x.safetensors", part: "all" } } })
    )
    expect(withModel.model.weights).toEqual({ path: "x.safetensors", layout: "auto", part: "all", strict: true })
  })
})
