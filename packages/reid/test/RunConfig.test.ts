import { assert, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { RunConfig } from "../src/index.ts"

describe("RunConfig", () => {
  it.effect("{} is the default run", () =>
    Effect.gen(function* () {
      const c = yield* RunConfig.decode({})
      expect(c.name).toBe("baseline")
      expect(c.model.backbone).toEqual({
        kind: "reference",
        stemWidth: 32,
        widths: [32, 64, 128, 256],
        blocks: [2, 2, 2, 2],
        lastStride: 2
      })
      expect(c.model.head.neck).toBe("bnneck")
      expect(c.sampler).toEqual({ p: 16, k: 4 })
      expect(c.optimizer.kind).toBe("adam")
      expect(c.loss).toEqual({
        labelSmoothing: 0.1,
        tripletMargin: 0.3,
        crossEntropyWeight: 1,
        tripletWeight: 1,
        terms: []
      })
      // the encoded form decodes back to the same config
      expect(yield* RunConfig.decode(RunConfig.encode(c))).toEqual(c)
    })
  )

  it.effect("unknown keys and bad values are all reported, each with its key and what is allowed", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        RunConfig.decode({
          data: { identites: 5, height: 3 },
          optimizer: { kind: "adamw", lr: 1 },
          model: { backbone: { kind: "resnet99" } },
          epochs: 0
        })
      )
      assert.strictEqual(e._tag, "RunConfigError")
      expect(e.message).toContain(
        `at data.identites: unknown key "identites"; allowed keys: objects, identities, trainIdentities`
      )
      expect(e.message).toContain("at data.height: Expected a value between 16 and 1024 (got 3)")
      expect(e.message).toContain(
        `at model.backbone.kind: kind must be one of "reference", "resnet18", "resnet34", "resnet50", "mobilenetv2", "osnet", got "resnet99"`
      )
      expect(e.message).toContain("at epochs: Expected a value between 1 and 100000 (got 0)")
      // AdamW's keys only (the union member its kind selects)
      expect(e.message).toContain(
        `at optimizer.lr: unknown key "lr"; allowed keys: kind, beta1, beta2, epsilon, weightDecay, decayScope`
      )
    })
  )

  it.effect("a YAML file with --set overrides", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-config-")))
      const file = path.join(dir, "run.yaml")
      yield* Effect.promise(() =>
        fs.writeFile(
          file,
          "name: small\nepochs: 3\ndata:\n  identities: 40\noptimizer:\n  kind: sgd\n  nesterov: true\n"
        )
      )
      const c = yield* RunConfig.load({
        file,
        set: ["epochs=5", "data.difficulty=easy", "schedule.decay={kind: cosine}"]
      })
      expect(c.name).toBe("small")
      expect(c.epochs).toBe(5)
      expect(c.data.identities).toBe(40)
      expect(c.data.difficulty).toBe("easy")
      expect(c.optimizer).toMatchObject({ kind: "sgd", nesterov: true, momentum: 0.9 })
      expect(c.schedule.decay).toEqual({ kind: "cosine", minFactor: 0 })
      const bad = yield* Effect.flip(RunConfig.load({ file, set: ["data.difficulty=extreme"] }))
      expect(bad.message).toContain(
        `at data.difficulty: Expected "trivial" | "easy" | "medium" | "hard" (got "extreme")`
      )
      const notKeyValue = yield* Effect.flip(RunConfig.load({ set: ["epochs"] }))
      expect(notKeyValue.message).toContain(`"epochs" is not key.path=value`)
      yield* Effect.promise(() => fs.writeFile(file, "name: [unclosed"))
      const broken = yield* Effect.flip(RunConfig.load({ file }))
      expect(broken.message).toContain("not valid YAML or JSON")
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    })
  )
})

describe("RunConfig loss.terms", () => {
  it("names catalogued metric losses with their options; an unknown name is a decode error", async () => {
    const c = await Effect.runPromise(
      RunConfig.decode({
        loss: { terms: [{ name: "multiSimilarity", weight: 0.5, options: { alpha: 2 } }, { name: "arcFace" }] }
      })
    )
    expect(c.loss.terms).toEqual([
      { name: "multiSimilarity", weight: 0.5, options: { alpha: 2 } },
      { name: "arcFace", weight: 1, options: {} }
    ])
    const bad = await Effect.runPromise(Effect.flip(RunConfig.decode({ loss: { terms: [{ name: "noSuchLoss" }] } })))
    expect(String(bad.message)).toMatch(/loss.*terms/)
  })
})

describe("RunConfig --set on defaulted objects", () => {
  it.effect("a key of a defaulted object keeps its defaulted kind; another kind starts from that kind's defaults", () =>
    Effect.gen(function* () {
      const decay = yield* RunConfig.load({ set: ["optimizer.weightDecay=0"] })
      expect(decay.optimizer).toEqual({
        kind: "adam",
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: 0,
        decayScope: "all"
      })
      const sgd = yield* RunConfig.load({ set: ["optimizer.kind=sgd", "optimizer.momentum=0.5"] })
      expect(sgd.optimizer).toEqual({
        kind: "sgd",
        momentum: 0.5,
        dampening: 0,
        nesterov: false,
        weightDecay: 5e-4,
        decayScope: "all"
      })
      // a kind given in the file wins over the default's
      const file = path.join(yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-set-"))), "run.yaml")
      yield* Effect.promise(() => fs.writeFile(file, "optimizer: { kind: adamw }\n"))
      const adamw = yield* RunConfig.load({ file, set: ["optimizer.beta1=0.8"] })
      expect(adamw.optimizer).toMatchObject({ kind: "adamw", beta1: 0.8, weightDecay: 1e-2 })
      // the learning rate lives in the schedule: the error says so
      const lr = yield* Effect.flip(RunConfig.load({ set: ["optimizer.lr=0.1"] }))
      expect(lr.message).toBe(
        'invalid run configuration (flags): at optimizer.lr: unknown key "lr"; allowed keys: kind, beta1, beta2, epsilon, weightDecay, decayScope (the learning rate is schedule.learningRate)'
      )
    })
  )
})

describe("RunConfig: one name for the learning rate and the objects, as in protocol files", () => {
  it.effect(
    "schedule.learningRate and data.objects; the deprecated schedule.baseLr and data.kind are read as them",
    () =>
      Effect.gen(function* () {
        const current = yield* RunConfig.decode({ schedule: { learningRate: 0.05 }, data: { objects: "vehicles" } })
        const old = yield* RunConfig.decode({ schedule: { baseLr: 0.05 }, data: { kind: "vehicle" } })
        expect(old).toEqual(current)
        expect(current.schedule.learningRate).toBe(0.05)
        expect(current.data.objects).toBe("vehicles")
        expect((yield* RunConfig.decode({})).data.objects).toBe("persons")
      })
  )

  it.effect("both names at once is one error line; a stored config with the old names resumes as the same run", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(RunConfig.decode({ schedule: { baseLr: 0.1, learningRate: 0.2 } }, "run.yaml"))
      expect(e.message).toBe(
        "invalid run configuration (run.yaml): schedule.learningRate: give schedule.learningRate only (schedule.baseLr is its deprecated name)"
      )
      const config = yield* RunConfig.decode({})
      const stored = structuredClone(RunConfig.encode(config)) as {
        schedule: Record<string, unknown>
        data: Record<string, unknown>
      }
      stored.schedule["baseLr"] = stored.schedule["learningRate"]
      delete stored.schedule["learningRate"]
      stored.data["kind"] = "person"
      delete stored.data["objects"]
      expect(RunConfig.differences(stored, RunConfig.encode(config))).toEqual([])
      stored.schedule["baseLr"] = 0.5
      expect(RunConfig.differences(stored, RunConfig.encode(config))).toEqual(["schedule.learningRate: 0.5 -> 0.01"])
    })
  )
})
