/**
 * The `parts` protocol kind: its file decodes to the defaults it writes out, bad keys are named, a shrunk protocol
 * trains AlignedReID's mutual pair and PCB and reports every distance's mAP, a rerun on the same folder resumes
 * the committed (seed, model) stages with the same figures, and the evaluation's combined distance is the global
 * one when the local weight is 0.
 */
import "@tensorflow/tfjs-backend-cpu"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Model } from "@reidfx/model"
import { Progress, ProtocolKind } from "@reidfx/continual"
import { Backend, Rng } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as PartModels from "../src/parts/PartModels.ts"
import * as PartModelsProtocol from "../src/parts/PartModelsProtocol.ts"
import * as PartModelsRun from "../src/parts/PartModelsRun.ts"

await tf.setBackend("cpu")

// the trained cases run on the wasm backend (as `reidfx run` does by default): the cpu kernels are ~7x slower here
const file = path.join(import.meta.dirname, "..", "..", "..", "protocols", "parts-synthetic.yaml")

/** The shrunk protocol: 6 training identities, 2 steps, 32 x 16 images (2 feature-map rows: 2 PCB parts). */
const tiny: PartModelsProtocol.PartsProtocolInput = {
  name: "parts-tiny",
  kind: "parts",
  world: { identities: 12, imagesPerCamera: 2 },
  training: { height: 32, width: 16, epochs: 1, stepsPerEpoch: 2, identities: 4, instances: 2 },
  pcb: { parts: 2 },
  seeds: [0]
}

describe("parts protocol", () => {
  it.effect("the committed file writes out the defaults, and encodes back to itself", () =>
    Effect.gen(function* () {
      const fromFile = yield* PartModelsProtocol.parse(fs.readFileSync(file, "utf8"), file)
      const defaults = yield* PartModelsProtocol.decode({ name: "parts-synthetic", kind: "parts" })
      expect(fromFile).toEqual(defaults)
      expect(yield* PartModelsProtocol.decode(PartModelsProtocol.encode(fromFile))).toEqual(fromFile)
      expect([fromFile.world.identities, fromFile.training.epochs, fromFile.pcb.parts]).toEqual([60, 12, 4])
    })
  )

  it.effect("bad keys and values are named with their path; lifelong flags are refused", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        PartModelsProtocol.decode({ ...tiny, pcb: { partz: 3 }, aligned: { localPooling: "gem" } }, "t.yaml")
      )
      expect(e.message).toMatch(/invalid parts protocol \(t\.yaml\)/)
      expect(e.message).toMatch(/at pcb\.partz/)
      expect(e.message).toMatch(/at aligned\.localPooling/)
      const prepared = yield* PartModels.kind.prepare(tiny, "t.yaml")
      const refused = yield* Effect.flip(prepared.run({ fresh: false, epochs: 3 }))
      expect(refused.message).toMatch(/--methods and --epochs apply to lifelong protocols/)
      const registry = ProtocolKind.registry([PartModels.kind])
      expect((yield* ProtocolKind.kindOf(registry, tiny, "t.yaml")).name).toBe("parts")
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("summarize: mean and sample std over seeds, by hand", () =>
    Effect.sync(() => {
      const seed = (s: number, x: number) => ({
        seed: s,
        aligned: [
          { global: x, local: 2 * x, combined: 3 * x },
          { global: 0.5, local: 0.5, combined: 0.5 }
        ] as const,
        pcb: { parts: x, global: 0.1, mA: 0.6, f1: x }
      })
      const s = PartModelsRun.summarize([seed(0, 0.2), seed(1, 0.4)])
      expect(s.rows.map((r) => `${r.model}/${r.distance}`)).toEqual([
        "AlignedReID a/global",
        "AlignedReID a/local",
        "AlignedReID a/combined",
        "AlignedReID b/global",
        "AlignedReID b/local",
        "AlignedReID b/combined",
        "PCB/parts",
        "PCB/global"
      ])
      expect(s.rows[1]!.mAP.mean).toBeCloseTo(0.6, 12)
      expect(s.rows[1]!.mAP.std).toBeCloseTo(Math.sqrt(0.08), 12) // values 0.4, 0.8: sample std = 0.2 * sqrt(2)
      expect(s.rows[3]!.mAP).toEqual({ mean: 0.5, std: 0 })
      expect(s.attributes!.mA.mean).toBeCloseTo(0.6, 12)
      expect(PartModelsRun.spread([0.3])).toEqual({ mean: 0.3, std: 0 })
    })
  )

  it.effect("evaluation: with local weight 0 the combined distance is the global one", () =>
    Effect.gen(function* () {
      const protocol = yield* PartModelsProtocol.decode(tiny)
      const w = yield* PartModelsRun.prepareWorld(protocol)
      const configs = PartModelsRun.modelConfigs(protocol, w.labels.size)
      const model = yield* Rng.withSeed(Model.make(configs.aligned), 5)
      const zero = yield* PartModelsRun.alignedScores(model, w, 0)
      expect(zero.combined).toBe(zero.global)
      const one = yield* PartModelsRun.alignedScores(model, w, 1)
      expect(one.global).toBe(zero.global)
      expect(one.local).toBe(zero.local)
    }).pipe(Effect.scoped, Effect.provide(Backend.layerWasm))
  )

  it.effect("a shrunk protocol trains both models, reports every distance, and resumes with the same figures", () =>
    Effect.gen(function* () {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-parts-"))
      const protocol = yield* PartModelsProtocol.decode(tiny)
      const before = tf.memory().numTensors
      // the stages report to the Progress service as a lifelong run's do
      const events: Array<Progress.ProgressEvent> = []
      const recorder: Progress.ProgressService = { emit: (e) => Effect.sync(() => void events.push(e)) }
      const first = yield* PartModels.runProtocol(protocol, { out }).pipe(
        Effect.provideService(Progress.Progress, recorder)
      )
      expect(tf.memory().numTensors).toBe(before)
      const stages = (tag: string) => events.flatMap((e) => (e._tag === tag && "task" in e ? [e.task] : []))
      expect(stages("StageStarted")).toEqual(["aligned", "pcb"])
      expect(stages("StageDone")).toEqual(["aligned", "pcb"])
      const r = first.run
      expect(r.world).toEqual({ train: 36, query: 18, gallery: 18, classes: 6 })
      const s = r.seeds[0]!
      for (const x of [...s.aligned.flatMap((a) => [a.global, a.local, a.combined]), s.pcb.parts, s.pcb.global]) {
        expect(x).toBeGreaterThan(0)
        expect(x).toBeLessThanOrEqual(1)
      }
      expect(s.pcb.mA).toBeGreaterThan(0)
      // the rows are the seed's figures (one seed: std 0)
      expect(r.summary.rows.map((row) => row.mAP.mean)).toEqual([
        s.aligned[0].global,
        s.aligned[0].local,
        s.aligned[0].combined,
        s.aligned[1].global,
        s.aligned[1].local,
        s.aligned[1].combined,
        s.pcb.parts,
        s.pcb.global
      ])
      const report = fs.readFileSync(path.join(out, "report.md"), "utf8")
      expect(report).toContain(`| AlignedReID a | local | ${(100 * s.aligned[0].local).toFixed(1)} |`)
      expect(report).toMatch(/attribute head on the query identities: mA \d+\.\d %/)
      // both stages were committed; a second run trains nothing and returns the same figures
      const journal = JSON.parse(fs.readFileSync(path.join(out, "units", "seed-0", "state.json"), "utf8"))
      expect(journal.completed).toEqual(["aligned", "pcb"])
      events.length = 0
      const again = yield* PartModels.runProtocol(protocol, { out }).pipe(
        Effect.provideService(Progress.Progress, recorder)
      )
      expect(again.run.seeds).toEqual(r.seeds)
      // resumed: the unit reports its 2 committed stages and runs none
      expect(events.find((e) => e._tag === "UnitStarted")).toMatchObject({ resumed: 2 })
      expect(stages("StageDone")).toEqual([])
      // another protocol in the same folder is refused
      const other = yield* PartModelsProtocol.decode({ ...tiny, pcb: { parts: 1 } })
      expect((yield* Effect.flip(PartModels.runProtocol(other, { out })))._tag).toBe("RunMismatch")
      fs.rmSync(out, { recursive: true })
    }).pipe(Effect.provide(Backend.layerWasm))
  )
})
