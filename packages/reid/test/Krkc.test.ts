/**
 * KRKC (Yu et al. AAAI 2023, cly234/LReID-KRKC b5c38d6): its soft triplet and calibration against hand values
 * and loop references written from the authors' `SoftTripletLoss` / `loss_kd_js`, the calibration's gradient
 * (the learner's own distribution is not detached, as in `loss_kd_js`), the companion's schedule and fusion
 * weights (`continual_train.py`), the settings pinned to the cited files, and the method in the engine: the
 * companion trains from the second task, the fusion weight is 1/2 after the second of three tasks, a run
 * interrupted inside a task resumes from its mid-task checkpoint (model and companion) to the uninterrupted
 * results, and no tensor leaks.
 */
import "@tensorflow/tfjs-backend-cpu"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { Krkc as KrkcLoss } from "@reidfx/distill"
import { Backend } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as Companion from "../src/krkc/Companion.ts"
import * as Krkc from "../src/krkc/Krkc.ts"
import * as Lifelong from "../src/Lifelong.ts"
import { Runner } from "@reidfx/continual"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { runCut, runRecorded } from "./interruptedRun.ts"

const backend = Backend.layerCpu

beforeAll(async () => {
  await tf.setBackend("cpu")
  await tf.ready()
})

/** `SoftTripletLoss(margin)` with loops in float64: farthest positive (itself included), nearest negative. */
const softTripletReference = (x: ReadonlyArray<ReadonlyArray<number>>, y: ReadonlyArray<number>, m: number) => {
  const d = (i: number, j: number) =>
    Math.sqrt(
      Math.max(
        x[i]!.reduce((s, v, k) => s + (v - x[j]![k]!) ** 2, 0),
        1e-12
      )
    )
  let total = 0
  for (let i = 0; i < x.length; i++) {
    let ap = Number.NEGATIVE_INFINITY
    let an = Number.POSITIVE_INFINITY
    for (let j = 0; j < x.length; j++) {
      if (y[j] === y[i]) ap = Math.max(ap, d(i, j))
      else an = Math.min(an, d(i, j))
    }
    const z = Math.log(Math.exp(ap) + Math.exp(an))
    total += -m * (ap - z) - (1 - m) * (an - z)
  }
  return total / x.length
}

/** `loss_kd_js(other, own)` with loops in float64. */
const calibrationReference = (
  own: ReadonlyArray<ReadonlyArray<number>>,
  other: ReadonlyArray<ReadonlyArray<number>>,
  t: number
) => {
  const lsm = (v: ReadonlyArray<number>) => {
    const mx = Math.max(...v)
    const z = mx + Math.log(v.reduce((s, x) => s + Math.exp(x - mx), 0))
    return v.map((x) => x - z)
  }
  let total = 0
  own.forEach((a, i) => {
    const b = other[i]!
    const q = lsm(a.map((v, k) => (v + b[k]!) / (2 * t)))
    const kl = (lp: ReadonlyArray<number>) => lp.reduce((s, x, k) => s + Math.exp(x) * (x - q[k]!), 0)
    total += 0.5 * t * t * (kl(lsm(b.map((v) => v / t))) + kl(lsm(a.map((v) => v / t))))
  })
  return total / own.length
}

describe("KRKC's losses", () => {
  it("soft triplet by hand: features 0, 1, 3 (labels 0, 0, 1), m = 0.3 -> 0.689039", () => {
    // anchors: (ap, an) = (1, 3), (1, 2), (1e-6: itself, 2); -0.3 log p_ap - 0.7 log p_an of softmax(ap, an), mean
    const v = tf.tidy(() =>
      KrkcLoss.softTriplet(tf.tensor2d([[0], [1], [3]]), tf.tensor1d([0, 0, 1], "int32")).arraySync()
    )
    expect(v).toBeCloseTo(0.6890391762690472, 5)
  })

  it("soft triplet equals the loop reference on random batches (fast-check)", () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 2 }),
            fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 3, maxLength: 3 })
          ),
          {
            minLength: 2,
            maxLength: 7
          }
        ),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        (rows, m) => {
          const x = rows.map(([, f]) => f)
          const y = rows.map(([l]) => l)
          const v = tf.tidy(() =>
            KrkcLoss.softTriplet(tf.tensor2d(x), tf.tensor1d(y, "int32"), { margin: m }).arraySync()
          )
          const ref = softTripletReference(x, y, m)
          // an anchor without negatives has an = +inf: the loss is infinite in both
          if (!Number.isFinite(ref)) expect(Number.isFinite(v)).toBe(false)
          else expect(v).toBeCloseTo(ref, 4)
        }
      ),
      { numRuns: 60 }
    ))

  it("calibration by hand (T = 2): rows ([1, 0, -1] vs [0, 2, 0]) and ([0.5, 0.5, 3] vs [1, -1, 0]) -> 0.245616", () => {
    const v = tf.tidy(() =>
      KrkcLoss.calibration(
        tf.tensor2d([
          [1, 0, -1],
          [0.5, 0.5, 3]
        ]),
        tf.tensor2d([
          [0, 2, 0],
          [1, -1, 0]
        ])
      ).arraySync()
    )
    // per row 0.2113662 and 0.2798665 (loss_kd_js by hand), batchmean
    expect(v).toBeCloseTo(0.24561634568834795, 5)
    expect(
      calibrationReference(
        [
          [1, 0, -1],
          [0.5, 0.5, 3]
        ],
        [
          [0, 2, 0],
          [1, -1, 0]
        ],
        2
      )
    ).toBeCloseTo(0.24561634568834795, 12)
  })

  it("calibration's gradient in the learner's logits equals the finite differences of the whole loss (p not detached); none flows into the other's", () => {
    const own = [
      [0.3, -1.2, 2],
      [1, 0.5, -0.5]
    ]
    const other = [
      [1, 0, 0.2],
      [-0.4, 0.9, 0.1]
    ]
    const g = tf.tidy(
      () =>
        tf
          .grad((x: tf.Tensor) => KrkcLoss.calibration(x as tf.Tensor2D, tf.tensor2d(other), { temperature: 2 }))(
            tf.tensor2d(own)
          )
          .arraySync() as Array<Array<number>>
    )
    // the other learner's logits are detached: there is no gradient path to them
    expect(() =>
      tf.tidy(() =>
        tf.grad((y: tf.Tensor) => KrkcLoss.calibration(tf.tensor2d(own), y as tf.Tensor2D))(tf.tensor2d(other))
      )
    ).toThrow(/Cannot compute gradient/)
    const h = 1e-5
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) {
        const up = own.map((r, a) => r.map((v, b) => (a === i && b === k ? v + h : v)))
        const down = own.map((r, a) => r.map((v, b) => (a === i && b === k ? v - h : v)))
        const fd = (calibrationReference(up, other, 2) - calibrationReference(down, other, 2)) / (2 * h)
        expect(g[i]![k]!).toBeCloseTo(fd, 4)
      }
    }
  })

  it("the calibration term reads the peer's logits: without a mutual peer the step is a MissingOutput", () => {
    const term = tf.tidy(() => {
      const fn = Effect.runSync(KrkcLoss.krkcCalibration().build)
      try {
        fn({
          outputs: { features: tf.zeros([2, 2]), logits: tf.zeros([2, 3]) },
          labels: tf.tensor1d([0, 1], "int32"),
          index: 0
        } as never)
        return "no error"
      } catch (e) {
        return (e as { _tag?: string })._tag
      }
    })
    expect(term).toBe("MissingOutput")
  })
})

describe("KRKC's companion and settings", () => {
  it("fusion weight 1/t after tasks 2 .. last-1 (1-based t), none after the first and the last; learning rates 0.1x then 0.01x on the last", () => {
    expect([0, 1, 2, 3].map((t) => Companion.fusionWeight(t, 4))).toEqual([undefined, 1 / 2, 1 / 3, undefined])
    expect([0, 1, 2].map((t) => Companion.fusionWeight(t, 3))).toEqual([undefined, 1 / 2, undefined])
    const spec = Krkc.method.companion!
    expect([1, 2, 3].map((t) => Companion.learningRateFactor(spec, t, 4))).toEqual([0.1, 0.1, 0.01])
  })

  it("the settings of cly234/LReID-KRKC: CE with smoothing 0.1, soft triplet m 0.3, T 2, 2 exemplars per identity, companion at 0.1x / 0.01x", () => {
    const m = Krkc.method
    expect(m.terms).toEqual([
      { loss: "crossEntropy", labelSmoothing: 0.1, weight: 1 }, // reid/loss/crossentropy.py CrossEntropyLabelSmooth(epsilon=0.1)
      { loss: "krkcSoftTriplet", margin: 0.3, weight: 1 }, // continual_train.py --margin 0.3, reid/trainer.py SoftTripletLoss(margin)
      { loss: "krkcCalibration", temperature: 2, weight: 1 } // reid/trainer.py self.T = 2
    ])
    expect(m.rehearsal?.budget).toEqual({ kind: "perIdentity", size: 2 }) // my_tools.py select_samples=2
    expect(m.companion).toEqual({ kind: "krkc", learningRate: 0.1, lastTaskLearningRate: 0.01 }) // continual_train.py old_params lr
  })
})

const input = (tasks: number, training: Partial<ProtocolInput["training"]> = {}): ProtocolInput => ({
  name: "toy-krkc",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 16, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: 1, batchesPerEpoch: 1, height: 16, width: 8, optimizer: { learningRate: 0.01 }, ...training },
  evaluation: { initial: false, batchSize: 64, after: "lastTask" },
  methods: ["krkc"],
  seeds: [0]
})

/**
 * The uninterrupted run both engine tests read (one run, shared): three tasks of one epoch of two steps, with a
 * mid-task checkpoint after every step. In a task's first step the companion equals the model (calibration 0);
 * on its second they differ.
 */
const protocol = ProtocolFile.make(input(3, { batchesPerEpoch: 2, checkpointEverySteps: 1 }))
let referenceRun: Promise<Runner.RunResult> | undefined
const reference = () => {
  referenceRun ??= Effect.runPromise(
    Effect.gen(function* () {
      const p = yield* protocol
      return yield* noLeaksEffect(Runner.run(p).pipe(Effect.provide(Lifelong.layer(p))))
    }).pipe(Effect.provide(backend))
  )
  return referenceRun
}

describe("KRKC in the lifelong engine", () => {
  it.effect(
    "three tasks: calibration and companion from task 2, fused with alpha 1/2 after task 2 and not after task 3; no leaks",
    () =>
      Effect.gen(function* () {
        const result = yield* Effect.promise(reference)
        const trained = result.units[0]!.trained
        const keys = Object.keys(trained).sort()
        expect(keys).toHaveLength(3)
        const [t1, t2, t3] = keys.map((k) => trained[k]!)
        expect(t1!.formula).not.toMatch(/krkcCalibration/)
        expect(t2!.formula).toMatch(/krkcCalibration\(temperature=2, from=peer\)/)
        expect(t1!.finalTerms["krkc/alpha"]).toBeUndefined()
        expect(t2!.finalTerms["krkc/alpha"]).toBe(0.5)
        expect(t3!.finalTerms["krkc/alpha"]).toBe(1)
        expect(t2!.finalTerms.krkcCalibration).toBeGreaterThan(0)
        for (const c of result.cells) expect(Number.isFinite(c.metrics.mAP)).toBe(true)
      }),
    180_000
  )

  it.effect(
    "interrupted inside task 2, KRKC resumes from the mid-task checkpoint (model and companion) to the uninterrupted results",
    () =>
      Effect.gen(function* () {
        const p = yield* protocol
        const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-krkc-")))
        const first = yield* runCut(
          p,
          out,
          (event) => event._tag === "Training" && event.task === "task-2" && event.progress.step === 2
        )
        assert.isTrue(Exit.isFailure(first))
        const { result: resumed, steps } = yield* runRecorded(p, out, (event) =>
          event._tag === "Training" && event.task === "task-2"
            ? `${event.progress.epoch}.${event.progress.step}`
            : undefined
        )
        // the last checkpoint was written after task 2's first step: the rerun does its second step again, not the
        // task (which would start at 1.1)
        expect(steps).toEqual(["1.2"])
        expect(resumed.cells).toEqual((yield* Effect.promise(reference)).cells)
        yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
      }).pipe(Effect.provide(backend)),
    180_000
  )
})
