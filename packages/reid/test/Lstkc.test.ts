/**
 * LSTKC (Xu et al. AAAI 2024) against the authors' released code (zhoujiahuan1991/AAAI2024-LSTKC, commit c63a3af):
 * the rectified-affinity KL and its gradient (which also flows through the target, as in `reid/trainer.py`), the
 * adaptive fusion weight (`continual_train.py` `get_adaptive_alpha`), the fusion of grown tensors
 * (`linear_combination`), the settings pinned to the cited files, and the method in the lifelong engine.
 *
 * The reference numbers were computed by running the authors' functions (`get_normal_affinity`, `cal_KL`,
 * `get_attri`, `get_adaptive_alpha`, copied verbatim into a script) in PyTorch 1.13 on the inputs below.
 */
import { describe, expect, it } from "@effect/vitest"
import { Lstkc as LstkcLoss } from "@reidfx/distill"
import { Backend } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { Runner, Stage } from "@reidfx/continual"
import * as Lifelong from "../src/Lifelong.ts"
import * as Consolidation from "../src/lstkc/Consolidation.ts"
import * as Lstkc from "../src/lstkc/Lstkc.ts"
import type { MethodSpec, ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"
import { retrievalEmbedding } from "../src/reid/ReidLearner.ts"
import * as Strategy from "../src/Strategy.ts"
import { smallSteps, toyProtocol } from "./toyProtocol.ts"

const backend = Backend.layerCpu

// six images of three identities; every one of the target's four cases occurs (old right: 16 entries, only the
// new model right: 6, both miss a positive: 4, both rank a negative too high: 10)
const xNew = [
  [0, 0.1, 0.3],
  [0, 0.5, 0.1],
  [0.8, 0.7, 0.6],
  [0.9, 0.5, 0.8],
  [0.1, 0.4, 0.1],
  [0.5, 0.2, 0.9]
]
const xOld = [
  [0.8, 0.9, 0.6],
  [0.2, 0.9, 0],
  [0.2, 0.2, 0.3],
  [0.6, 0.1, 0.1],
  [0.3, 0.8, 0.1],
  [0.1, 0.1, 0.3]
]
const labels = [0, 0, 1, 1, 2, 2]
// torch: loss.item() and xn.grad of the authors' cal_KL(get_normal_affinity(xn), get_normal_affinity(xo), y)
const torchLoss = 1.2931658029556274
const torchGrad = [
  [0.8835519552230835, -3.8290023803710938, 1.276334285736084],
  [1.2530462741851807, 0.41815853118896484, -2.090792417526245],
  [-0.024553630501031876, -0.035284362733364105, 0.07390324771404266],
  [-0.09415140748023987, -0.10110428929328918, 0.169110506772995],
  [-2.650622844696045, 1.3485323190689087, -2.743506669998169],
  [-0.0030923932790756226, -0.8517691493034363, 0.19100001454353333]
]

describe("LSTKC against the authors' code", () => {
  it.effect("the rectified-affinity KL and its gradient equal the authors' (target not detached)", () =>
    Effect.sync(() => {
      const x = tf.tensor2d(xNew)
      const old = tf.tensor2d(xOld)
      const y = tf.tensor1d(labels, "int32")
      const before = tf.memory().numTensors
      const value = tf.tidy(() => LstkcLoss.loss(x, old, y).loss.dataSync()[0]!)
      expect(value).toBeCloseTo(torchLoss, 4)
      const g = tf.grad((f: tf.Tensor) => LstkcLoss.loss(f as tf.Tensor2D, old, y).loss)(x)
      const got = g.arraySync() as Array<Array<number>>
      g.dispose()
      for (let i = 0; i < 6; i++) for (let j = 0; j < 3; j++) expect(got[i]![j]!).toBeCloseTo(torchGrad[i]![j]!, 2)
      expect(tf.memory().numTensors).toBe(before)
      // the target: rows sum to 1; with identical models it is the affinity itself where the model is right
      const rows = tf.tidy(() =>
        Array.from(
          tf.sum(LstkcLoss.rectifiedTarget(LstkcLoss.affinity(x, 0.1), LstkcLoss.affinity(old, 0.1), y), 1).dataSync()
        )
      )
      for (const r of rows) expect(r).toBeCloseTo(1, 5)
      tf.dispose([x, old, y])
    }).pipe(Effect.provide(backend))
  )

  it.effect("the loss is 0 when the new model equals an old model that ranks every pair right", () =>
    Effect.sync(() => {
      // two tight, far apart identities: every positive beats every negative
      const x = tf.tensor2d([
        [1, 0],
        [0.99, 0.05],
        [0, 1],
        [0.05, 0.99]
      ])
      const y = tf.tensor1d([0, 0, 1, 1], "int32")
      expect(tf.tidy(() => LstkcLoss.loss(x, x, y).loss.dataSync()[0]!)).toBeCloseTo(0, 6)
      tf.dispose([x, y])
    }).pipe(Effect.provide(backend))
  )

  it.effect("the fusion weight equals the authors' get_adaptive_alpha; identical models give 1", () =>
    Effect.sync(() => {
      const a = tf.tensor2d(xNew.slice(0, 5))
      const b = tf.tensor2d([
        [1, 0, 0.1],
        [0.8, 0.3, 0],
        [0, 1, 0.2],
        [0.2, 0.9, 0.1],
        [0.3, 0.2, 1]
      ])
      // torch on the 5-row inputs of the first reference script: 0.9254298806190491; on the second pair: 0.4990326166152954
      const first = tf.tensor2d([
        [1, 0.2, 0],
        [0.1, 1, 0.3],
        [0.9, 0.1, 0.2],
        [0, 0.8, 1],
        [0.5, 0.5, 0.1]
      ])
      expect(Consolidation.fusionWeight(first, b, 100)).toBeCloseTo(0.9254298806190491, 4)
      const s1 = tf.tensor2d([
        [1, 0, 0],
        [0.9, 0.1, 0],
        [0, 1, 0]
      ])
      const s2 = tf.tensor2d([
        [1, 0, 0],
        [0, 1, 0],
        [0.8, 0.2, 0]
      ])
      expect(Consolidation.fusionWeight(s1, s2, 100)).toBeCloseTo(0.4990326166152954, 4)
      expect(Consolidation.fusionWeight(a, a, 100)).toBeCloseTo(1, 6)
      // row blocks give the same value as one block
      expect(Consolidation.fusionWeight(first, b, 100, 2)).toBeCloseTo(Consolidation.fusionWeight(first, b, 100), 6)
      expect(() => Consolidation.fusionWeight(a, s1, 100)).toThrow(/same non-empty set of images/)
      tf.dispose([a, b, first, s1, s2])
    }).pipe(Effect.provide(backend))
  )

  it.effect("fuses every shared tensor; a grown classifier fuses its old columns and keeps the new ones", () =>
    Effect.sync(() => {
      const before = tf.memory().numTensors
      const current = new Map<string, tf.Tensor>([
        ["w", tf.tensor1d([1, 2])],
        ["head/classifier/kernel", tf.tensor2d([[1, 2, 3]])],
        ["only/new", tf.scalar(9)]
      ])
      const old = new Map<string, tf.Tensor>([
        ["w", tf.tensor1d([3, 4])],
        ["head/classifier/kernel", tf.tensor2d([[5, 7]])]
      ])
      const fused = Consolidation.fuseWeights(current, old, 0.25)
      expect([...fused.keys()].sort()).toEqual(["head/classifier/kernel", "w"])
      expect(Array.from(fused.get("w")!.dataSync())).toEqual([2.5, 3.5]) // 0.25 * new + 0.75 * old
      expect(fused.get("head/classifier/kernel")!.arraySync()).toEqual([[4, 5.75, 3]])
      for (const t of fused.values()) t.dispose()
      const bad = new Map<string, tf.Tensor>([["w", tf.tensor1d([1, 2, 3])]])
      expect(() => Consolidation.fuseWeights(old, bad, 0.5)).toThrow(/w has shape \[2\] but the old model's is \[3\]/)
      tf.dispose([...current.values(), ...old.values(), ...bad.values()])
      expect(tf.memory().numTensors).toBe(before)
    }).pipe(Effect.provide(backend))
  )

  it("the built-in method has the authors' settings", () => {
    const m = Strategy.builtins.lstkc
    expect(m).toEqual(Lstkc.method)
    // reid/trainer.py get_normal_affinity(x, Norm=0.1); continual_train.py --AF_weight 1.0, get_normal_affinity(Norm=100)
    expect(m.terms.find((t) => t.loss === "lstkc")).toEqual({ loss: "lstkc", temperature: 0.1, weight: 1 })
    expect(m.consolidation).toEqual({ kind: "lstkc", scale: 100 })
    // config/base.yml IF_LABELSMOOTH 'off', NO_MARGIN True (soft-margin triplet); resnet.py normalises global_feat
    expect(m.terms[0]).toEqual({ loss: "crossEntropy", labelSmoothing: 0, weight: 1 })
    expect(m.terms[1]).toEqual({
      loss: "metric",
      name: "tripletBatchHard",
      options: { softMargin: true, normalize: true },
      weight: 1
    })
    expect(retrievalEmbedding(m)).toBe("features")
    expect(Strategy.termsForTask(m, false).map((t) => t.loss)).toEqual(["crossEntropy", "metric"])
  })
})

const toy = (methods: ProtocolInput["methods"]): ProtocolInput =>
  toyProtocol("toy-lstkc", methods, {
    training: { ...smallSteps.training, batchesPerEpoch: 2 },
    evaluation: { ...smallSteps.evaluation, after: "lastTask" }
  })

describe("LSTKC in the lifelong engine", () => {
  it.effect(
    "runs by name; the rectification starts on task 2; the fusion changes the model only from task 2 on",
    () =>
      Effect.gen(function* () {
        const sums = new Map<string, Array<number>>()
        const probe = Stage.make("probe", (ctx) =>
          Effect.sync(() => {
            const { model } = ReidLearner.modelOf(ctx.model)
            const v = tf.tidy(() =>
              [...model.weights().values()].reduce((s, t) => s + tf.sum(tf.abs(t)).dataSync()[0]!, 0)
            )
            sums.set(ctx.method.name, [...(sums.get(ctx.method.name) ?? []), v])
          })
        )
        const { consolidation: _c, ...rest } = Lstkc.method
        const withoutFusion: MethodSpec = { ...rest, name: "lstkc-no-fusion" }
        const p = yield* ProtocolFile.make({
          ...toy(["lstkc", withoutFusion]),
          stages: [{ kind: "train" }, { kind: "custom", name: "probe" }, { kind: "evaluate" }, { kind: "snapshot" }]
        })
        const result = yield* Runner.run(p, { stages: { probe } }).pipe(Effect.provide(Lifelong.layer(p)))
        const formulas = result.units
          .filter((u) => u.method === "lstkc")
          .flatMap((u) =>
            Object.keys(u.trained)
              .sort()
              .map((k) => u.trained[k]!.formula)
          )
        expect(formulas[0]).not.toMatch(/\* lstkc\(/)
        expect(formulas[1]).toMatch(/1 \* lstkc\(temperature=0\.1/)
        // the fusion weight is reported after task 2 only, in [-1, 1]
        const trained = result.units
          .filter((u) => u.method === "lstkc")
          .flatMap((u) =>
            Object.keys(u.trained)
              .sort()
              .map((k) => u.trained[k]!.finalTerms)
          )
        expect(trained[0]!["lstkc/alpha"]).toBeUndefined()
        const alpha = trained[1]!["lstkc/alpha"]!
        expect(alpha).toBeGreaterThanOrEqual(-1)
        expect(alpha).toBeLessThanOrEqual(1)
        const [fused1, fused2] = sums.get("lstkc")!
        const [plain1, plain2] = sums.get("lstkc-no-fusion")!
        expect(fused1).toBe(plain1) // same seed, no fusion after the first task
        expect(Math.abs(fused2! - plain2!)).toBeGreaterThan(1e-3)
        for (const c of result.cells) expect(Number.isFinite(c.metrics.mAP)).toBe(true)
      }).pipe(Effect.provide(backend)),
    120_000
  )

  it.effect(
    "a run leaks no tensors",
    () =>
      Effect.gen(function* () {
        const p = yield* ProtocolFile.make(toy(["lstkc"]))
        yield* noLeaksEffect(Runner.run(p).pipe(Effect.provide(Lifelong.layer(p)), Effect.asVoid))
      }).pipe(Effect.provide(backend)),
    120_000
  )
})
