/**
 * `model.weights` of a training run: decoded from the config (or `--set`), and the run's model starts from the
 * imported backbone.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Model, WeightsImport } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import { Effect } from "effect"
import { RunConfig, StrongBaseline } from "../src/index.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-run-weights-"))
const backbone = { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 2 } as const

describe("RunConfig model.weights", () => {
  it.effect("a path or the object form decodes; a bad layout names the key", () =>
    Effect.gen(function* () {
      const c = yield* RunConfig.decode(yield* RunConfig.override({}, ["model.weights=pretrained/r50.safetensors"]))
      expect(c.model.weights).toBe("pretrained/r50.safetensors")
      const o = yield* RunConfig.decode({ model: { weights: { path: "t.safetensors", part: "all" } } })
      expect(o.model.weights).toEqual({ path: "t.safetensors", layout: "auto", part: "all", strict: true })
      const e = yield* Effect.flip(RunConfig.decode({ model: { weights: { path: "t.safetensors", layout: "keras" } } }))
      expect(e.message).toContain("model.weights")
    })
  )

  it.effect("the run's model starts from the imported backbone", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const file = path.join(dir, "backbone.safetensors")
        const source = yield* Model.make({ backbone, head: { neck: "none" } }).pipe(Rng.withSeed(11))
        yield* WeightsImport.exportSafetensors(source, file)
        const config = yield* RunConfig.decode({
          data: { identities: 8, cameras: 2, imagesPerCamera: 2, height: 16, width: 8 },
          model: { backbone, weights: file },
          sampler: { p: 2, k: 2 }
        })
        const { model } = yield* StrongBaseline.setup(config)
        for (const [name, t] of source.weights()) {
          if (name.startsWith("backbone/"))
            expect(Array.from(model.weights().get(name)!.dataSync()), name).toEqual(Array.from(t.dataSync()))
        }
      })
    ).pipe(Effect.provide(Backend.layerCpu))
  )
})
