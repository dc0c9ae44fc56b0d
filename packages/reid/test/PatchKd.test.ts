/**
 * PatchKD (Sun & Mu, ACM MM 2022; feifeiobama/PatchKD e6b050a) as the built-in `patchkd`: its settings pinned to
 * the authors' `train_test.py`, which parts of the network each of the five losses trains (the detach pattern of
 * `train_p_s.py` lines 55-83), the patch classifiers' growth and restoration, and the method in the engine: the
 * patch losses from the second task only, no tensor leak over a run, and a run interrupted inside its third task
 * (patch classifiers restored from the second task's checkpoint, then the mid-task checkpoint) resumes to the
 * uninterrupted results. (The losses themselves are tested against loop references in `@reidfx/distill`.)
 */
import "@tensorflow/tfjs-backend-cpu"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { Runner } from "@reidfx/continual"
import { Model } from "@reidfx/model"
import { Backend, RandomStream, Rng } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit } from "effect"
import * as Lifelong from "../src/Lifelong.ts"
import * as Method from "../src/patchkd/Method.ts"
import * as PatchClassifiers from "../src/patchkd/PatchClassifiers.ts"
import * as PatchKd from "../src/patchkd/PatchKd.ts"
import * as State from "../src/patchkd/State.ts"
import { taskCrossEntropy } from "../src/patchkd/TaskCrossEntropy.ts"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { runCut, runRecorded } from "./interruptedRun.ts"
import * as StrategyCatalog from "../src/StrategyCatalog.ts"

const backend = Backend.layerCpu

beforeAll(async () => {
  await tf.setBackend("cpu")
  await tf.ready()
})

describe("PatchKD's settings and state", () => {
  it("the settings of feifeiobama/PatchKD train_test.py; the strategy is in the catalog", () => {
    expect(PatchKd.defaults).toEqual({
      patches: 3, // --K 3 (line 246)
      temperature: 2, // --kd_T 2 (line 233)
      logit: 1, // --weight_kd 1 (line 232)
      patch: 0.1, // --weight_pd 0.1 (line 240)
      relation: 100, // --weight_rd 100 (line 241)
      diversity: 0.5, // --weight_div 0.5 (line 242)
      confidence: 1 // --weight_conf 1 (line 243)
    })
    expect(Method.method.terms.slice(0, 2)).toEqual([
      { loss: "crossEntropy", labelSmoothing: 0.1, classes: "task", weight: 1 }, // pkd/losses/loss.py CrossEntropyLabelSmooth(epsilon=0.1) on the current head (train_p_s.py line 95), --weight_x 1
      { loss: "tripletBatchHard", margin: 0.3, weight: 1 } // --t_margin 0.3, --t_metric euclidean, --weight_t 1
    ])
    expect(Method.method.firstTask).toBe("withoutOldModelTerms") // train_p_s.py: no patch losses without an old model
    expect(StrategyCatalog.builtin.require("patchkd").label).toBe("PatchKD")
  })

  it.effect(
    "patch classifiers: the first task's and the new classes' at the second task, one per task after; restored from a checkpoint's names",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const state = yield* State.make(4, 3, RandomStream.fromSeed(1))
          PatchClassifiers.grow(state.classifiers, 5, 8, 4, state.rng)
          expect(state.classifiers.map((c) => c.classes)).toEqual([5, 3])
          PatchClassifiers.grow(state.classifiers, 8, 8, 4, state.rng) // nothing new
          PatchClassifiers.grow(state.classifiers, 8, 12, 4, state.rng)
          expect(state.classifiers.map((c) => c.classes)).toEqual([5, 3, 4])
          const names = [...State.variables(state).keys()]
          expect(names.filter((n) => n.endsWith("/classifier/kernel"))).toEqual(
            [0, 1, 2].map((i) => `patchkd/classifiers/${i}/classifier/kernel`)
          )
          expect(names).toContain("patchkd/patchnet/conv1/kernel")
          // a fresh state restored from these tensors has the same classifiers, with the same initial values
          const again = yield* State.make(4, 3, RandomStream.fromSeed(1))
          State.restore(again, State.variables(state))
          expect(again.classifiers.map((c) => c.classes)).toEqual([5, 3, 4])
          const kernel = (s: State.State) =>
            State.variables(s).get("patchkd/classifiers/2/classifier/kernel")!.arraySync()
          expect(kernel(again)).toEqual(kernel(state))
        })
      )
  )
})

describe("PatchKD's identity loss on the current task's classes", () => {
  it("by hand: logits [1, 0, 2], 1 old class, label 2 -> CE of [0, 2] at column 1 (smoothing 0.1 over 2 classes); an old label is an InvalidOption", () => {
    const fn = Effect.runSync(taskCrossEntropy(1, { epsilon: 0.1, weight: 1 }).build)
    const step = (label: number) => ({
      outputs: { features: tf.zeros([1, 2]), logits: tf.tensor2d([[1, 0, 2]]) },
      labels: tf.tensor1d([label], "int32"),
      inputs: tf.zeros([1, 1, 1, 3]),
      index: 0
    })
    const v = tf.tidy(() => fn(step(2) as never).loss.arraySync())
    const z = Math.log(1 + Math.exp(2))
    expect(v).toBeCloseTo(0.95 * (z - 2) + 0.05 * z, 5)
    expect(() => tf.tidy(() => fn(step(0) as never).loss)).toThrow(expect.objectContaining({ _tag: "InvalidOption" }))
  })
})

describe("PatchKD's step", () => {
  it.effect(
    "each loss trains what the authors' detach pattern lets it (logit KD the model, patch KD the patch classifiers and backbone, confidence the patch network only); a model with an embedding layer or without the map is a typed error",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const model = yield* Model.make({
            backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
            head: { pooling: "avg", neck: "bnneck", classes: 6 }
          }).pipe(Rng.withSeed(3))
          const oldModel = yield* Model.make({
            backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
            head: { pooling: "avg", neck: "bnneck", classes: 4 }
          }).pipe(Rng.withSeed(4))
          const frozen = yield* oldModel.snapshot
          const state = yield* State.make(model.featureDim, 3, RandomStream.fromSeed(5))
          PatchClassifiers.grow(state.classifiers, 4, 6, state.channels, state.rng)
          const head = PatchKd.oldHead(frozen, state.channels, 4)
          const trainable = [
            ...model.trainableVariables,
            ...[...State.variables(state).values()].filter((v) => v.trainable)
          ]
          const names = new Map([...model.variables, ...State.variables(state)].map(([n, v]) => [v.name, n] as const))
          const inputs = tf.randomUniform([4, 16, 8, 3], 0, 1, "float32", 7) as tf.Tensor4D
          const labels = tf.tensor1d([0, 0, 1, 1], "int32")
          const options = { ...PatchKd.defaults }
          const reached = (loss: "logit" | "patch" | "relation" | "diversity" | "confidence") =>
            tf.tidy(() => {
              const { grads } = tf.variableGrads(() => {
                const outputs = model.forward(inputs, { training: true })
                const old = frozen.forward(inputs)
                return PatchKd.losses(state, head, { outputs, labels, inputs, index: 0 }, old, options).stats[loss]!
              }, trainable)
              const parts = new Set(
                Object.entries(grads)
                  .filter(([, g]) => g !== null && tf.any(tf.notEqual(g, 0)).dataSync()[0] === 1)
                  .map(([v]) => {
                    const n = names.get(v)!
                    return n.startsWith("patchkd/classifiers/1/bn")
                      ? "current patch BN"
                      : n.split("/").slice(0, 2).join("/")
                  })
              )
              return [...parts].filter((p) => !p.startsWith("backbone/") || p === "backbone/conv1").sort()
            })
          const backbone = (ps: ReadonlyArray<string>) => ps.filter((p) => p !== "backbone/conv1")
          expect(backbone(reached("logit"))).toEqual(["head/bnneck", "head/classifier"])
          expect(reached("patch")).toEqual(["backbone/conv1", "current patch BN", "patchkd/classifiers"])
          expect(reached("relation")).toEqual(["backbone/conv1", "patchkd/patchnet"])
          expect(reached("diversity")).toEqual(["backbone/conv1", "current patch BN", "patchkd/patchnet"])
          expect(reached("confidence")).toEqual(["patchkd/patchnet"])
          expect(reached("logit")).toContain("backbone/conv1")
          // a model whose feature size is not its map's channels (an embedding layer), or outputs without the map
          const other = yield* State.make(model.featureDim + 1, 3, RandomStream.fromSeed(5))
          PatchClassifiers.grow(other.classifiers, 4, 6, other.channels, other.rng)
          const failure = (s: State.State, drop: boolean) =>
            tf.tidy(() => {
              const outputs = model.forward(inputs, { training: true })
              const step = {
                outputs: drop
                  ? { features: outputs.features, ...(outputs.logits === undefined ? {} : { logits: outputs.logits }) }
                  : outputs,
                labels,
                inputs,
                index: 0
              }
              try {
                PatchKd.losses(s, head, step, frozen.forward(inputs), options)
                return "no error"
              } catch (e) {
                return (e as { _tag?: string })._tag
              }
            })
          expect(failure(other, false)).toBe("ShapeMismatch")
          expect(failure(state, true)).toBe("MissingOutput")
          tf.dispose([inputs, labels])
        })
      ).pipe(Effect.provide(backend))
  )
})

const input = (tasks: number, training: Partial<ProtocolInput["training"]> = {}): ProtocolInput => ({
  name: "toy-patchkd",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8, optimizer: { learningRate: 0.01 }, ...training },
  evaluation: { initial: false, batchSize: 64, after: "lastTask" },
  methods: ["patchkd"],
  seeds: [0]
})

describe("PatchKD in the lifelong engine", () => {
  it.effect(
    "three tasks: patch losses from task 2; interrupted inside task 3, resumes (patch classifiers restored, then the mid-task checkpoint) to the uninterrupted results; no leaks",
    () =>
      Effect.gen(function* () {
        const protocol = yield* ProtocolFile.make(input(3, { batchesPerEpoch: 2, checkpointEverySteps: 1 }))
        const reference = yield* noLeaksEffect(Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol))))
        const trained = reference.units[0]!.trained
        const [t1, t2, t3] = Object.keys(trained)
          .sort()
          .map((k) => trained[k]!)
        expect(t1!.formula).not.toMatch(/patchKd/)
        expect(t1!.formula).toMatch(/crossEntropyLabelSmooth\(epsilon=0.1\) /)
        expect(t2!.formula).toMatch(/crossEntropyLabelSmooth\(epsilon=0.1, classes=task\)/)
        expect(t2!.formula).toMatch(
          /patchKd\(patches=3, temperature=2, logit=1, patch=0.1, relation=100, diversity=0.5, confidence=1\)/
        )
        expect(t3!.finalTerms.patchKd).toBeGreaterThan(0)
        for (const c of reference.cells) expect(Number.isFinite(c.metrics.mAP)).toBe(true)
        const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-patchkd-")))
        const first = yield* runCut(
          protocol,
          out,
          (event) => event._tag === "Training" && event.task === "task-3" && event.progress.step === 2
        )
        assert.isTrue(Exit.isFailure(first))
        const { result: resumed, steps } = yield* runRecorded(protocol, out, (event) =>
          event._tag === "Training" ? `${event.task} ${event.progress.epoch}.${event.progress.step}` : undefined
        )
        // the rerun starts from task 3's second step (its first is in the mid-task checkpoint)
        expect(steps).toEqual(["task-3 1.2"])
        expect(resumed.cells).toEqual(reference.cells)
        yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
      }).pipe(Effect.provide(backend)),
    120_000
  )
})
