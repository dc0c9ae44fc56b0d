/**
 * A protocol's `model.weights` starts the model from an imported file: the backbone tensors equal the file's (and
 * not a random initialisation), the head keeps its initialisation; a file that does not fit fails with the name of
 * the tensor.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Model, Safetensors, WeightsImport } from "@reidfx/model"
import { Backend, Rng } from "@reidfx/tensor"
import { Effect } from "effect"
import { Benchmark as Benchmarks, Learner as Learners } from "@reidfx/continual"
import * as Lifelong from "../src/Lifelong.ts"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { modelConfig, modelOf } from "../src/reid/ReidLearner.ts"

const { Benchmark } = Benchmarks
const { Learner } = Learners

const input: ProtocolInput = {
  name: "weights",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks: 2,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1], lastStride: 1 },
  training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8 },
  methods: ["bot-ft"],
  seeds: [0]
}
const method = { name: "x", sampler: { kind: "pk", identities: 4, instances: 2 }, terms: [], joint: false } as const

const values = (t: { dataSync: () => ArrayLike<number> }) => Array.from(t.dataSync())

describe("protocol model weights", () => {
  it.effect("a protocol with `weights:` starts from the imported backbone", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-protocol-weights-")))
        const file = path.join(dir, "pretrained.safetensors")
        const plain = yield* ProtocolFile.make(input)
        // "pretrained" weights: the same backbone with another seed, and another classifier size
        const pretrained = yield* Model.make(modelConfig(plain, 7)).pipe(Rng.withSeed(99))
        yield* WeightsImport.exportSafetensors(pretrained, file)
        const protocol = yield* ProtocolFile.make({ ...input, model: { ...input.model, weights: file } })
        const created = yield* Effect.gen(function* () {
          const benchmark = yield* Benchmark
          const learner = yield* Learner
          const random = modelOf(yield* learner.create({ protocol: plain, method, classes: benchmark.totalIdentities }))
          const imported = modelOf(yield* learner.create({ protocol, method, classes: benchmark.totalIdentities }))
          return { random: random.model, imported: imported.model }
        }).pipe(Effect.provide(Lifelong.layer(protocol)))
        const backbone = [...pretrained.weights().keys()].filter((n) => n.startsWith("backbone/"))
        expect(backbone.length).toBeGreaterThan(10)
        for (const name of backbone)
          expect(values(created.imported.weights().get(name)!), name).toEqual(values(pretrained.weights().get(name)!))
        expect(values(created.random.weights().get("backbone/conv1/kernel")!)).not.toEqual(
          values(pretrained.weights().get("backbone/conv1/kernel")!)
        )
        // the head (classifier over the protocol's identities) keeps the run's initialisation
        expect(values(created.imported.weights().get("head/classifier/kernel")!)).toEqual(
          values(created.random.weights().get("head/classifier/kernel")!)
        )
        // a file without one backbone tensor fails naming it
        const broken = path.join(dir, "broken.safetensors")
        const tensors = WeightsImport.toStateDict(pretrained).filter(
          (t) => t.name !== "reidfx.backbone.layer2.0.bn2.running_mean"
        )
        yield* Safetensors.write(broken, tensors)
        const bad = yield* ProtocolFile.make({ ...input, model: { ...input.model, weights: broken } })
        const error = yield* Effect.flip(
          Effect.gen(function* () {
            const learner = yield* Learner
            return yield* learner.create({ protocol: bad, method, classes: (yield* Benchmark).totalIdentities })
          }).pipe(Effect.provide(Lifelong.layer(bad)))
        )
        expect(error.message).toContain("import weights")
        expect(error.message).toContain("reidfx.backbone.layer2.0.bn2.running_mean")
        yield* Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
      })
    ).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("the object form and a bad value decode as the Schema says", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make({
        ...input,
        model: { ...input.model, ibn: false, weights: { path: "r50.safetensors", layout: "fastreid" } }
      })
      expect(p.model.weights).toEqual({ path: "r50.safetensors", layout: "fastreid", part: "backbone", strict: true })
      const error = yield* Effect.flip(
        ProtocolFile.make({
          ...input,
          model: { ...input.model, weights: { path: "x", part: "head" } }
        } as unknown as ProtocolInput)
      )
      expect(error.message).toContain("part")
    })
  )
})
