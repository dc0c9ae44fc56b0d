import { assert, describe, expect, it } from "@effect/vitest"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Context, Effect, Layer, Logger } from "effect"
import {
  CenterLoss,
  centerLoss,
  circleLoss,
  crossEntropyLabelSmooth,
  dmml,
  Objective,
  protoSoftmax,
  type Step,
  Term,
  TripletBatchHard,
  tripletBatchHard,
  tripletSoftHard
} from "../src/index.ts"
import { emb, lab, num, useCpu } from "./helpers.ts"

useCpu()

/** A stand-in for a distillation service (a teacher model). */
class Teacher extends Context.Service<Teacher, { readonly scale: number }>()("test/Teacher") {}

/** A term that needs a Teacher: `scale * mean |features|^2`. */
const teacherTerm: Term.Term<Teacher> = Term.fromEffect(
  "teacherNorm",
  {},
  Effect.gen(function* () {
    const teacher = yield* Teacher
    return (step: Step) => ({
      loss: tf.tidy(() => tf.mul(tf.mean(tf.square(step.outputs.features)), teacher.scale) as tf.Scalar)
    })
  })
)

// Type-level tests (checked by `npm run typecheck`): requirements flow from terms into the Objective layer.
export const needsTeacher: Layer.Layer<Objective.Objective, never, Teacher> = Objective.layer(
  tripletBatchHard(),
  teacherTerm
)
// @ts-expect-error an Objective with a Teacher term cannot be used where no Teacher is provided
export const noTeacher: Layer.Layer<Objective.Objective, never, never> = Objective.layer(
  tripletBatchHard(),
  teacherTerm
)
// the Scope of a stateful term is provided by the layer itself
export const withCenters: Layer.Layer<Objective.Objective, never, never> = Objective.layer(
  centerLoss({ classes: 3, dimension: 2 })
)
// @ts-expect-error Term<Teacher> is not a Term<never>
export const notPlain: Term.Term<never> = teacherTerm

const X = [
  [0, 0],
  [1, 0],
  [3, 0],
  [4.5, 0],
  [10, 0],
  [10, 1]
]
const Y = [0, 0, 1, 1, 2, 2]
const step = (over: Partial<Step> = {}): Step => ({
  outputs: { features: emb(X), logits: emb(X.map(([a, b]) => [a! / 10, b!, 0])) },
  labels: lab(Y),
  inputs: tf.zeros([6, 1]),
  index: 0,
  ...over
})

describe("Objective", () => {
  it.effect("prints its formula and computes sum_i w_i L_i with per-term reports", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      assert.strictEqual(objective.formula, "1 * crossEntropyLabelSmooth(epsilon=0.1) + 2 * tripletBatchHard(margin=1)")
      const values = tf.tidy(() => Objective.values(objective.compute(step())))
      // tripletBatchHard on X with m = 1: anchors (1, 3), (1, 2), (1.5, 2), (1.5, 3.5), (1, 5.5), (1, 5.5) -> 0.5 / 6
      expect(values["tripletBatchHard"]).toBeCloseTo(0.5 / 6, 6)
      expect(values["tripletBatchHard.triplets"]).toBe(6)
      expect(values["total"]).toBeCloseTo(values["crossEntropyLabelSmooth"]! + 2 * values["tripletBatchHard"]!, 5)
      assert.deepStrictEqual(
        objective.terms.map((t) => t.name),
        ["crossEntropyLabelSmooth", "tripletBatchHard"]
      )
    }).pipe(Effect.provide(Objective.layer(crossEntropyLabelSmooth(), tripletBatchHard({ margin: 1, weight: 2 }))))
  )

  it.effect("an empty Objective is 0", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.make()
      assert.strictEqual(objective.formula, "0")
      assert.strictEqual(
        tf.tidy(() => num(objective.compute(step()).total)),
        0
      )
    })
  )

  it.effect("repeated names are made unique with a warning", () =>
    Effect.gen(function* () {
      const logs: Array<string> = []
      const objective = yield* Objective.make(
        tripletBatchHard(),
        Term.withWeight(tripletBatchHard({ margin: 0.5 }), 3)
      ).pipe(Effect.provide(Logger.layer([Logger.make((o) => logs.push(String(o.message)))])))
      assert.deepStrictEqual(
        objective.terms.map((t) => t.name),
        ["tripletBatchHard", "tripletBatchHard#2"]
      )
      assert.strictEqual(objective.formula, "1 * tripletBatchHard(margin=0.3) + 3 * tripletBatchHard(margin=0.5)")
      assert.isTrue(logs.some((l) => l.includes('two terms are named "tripletBatchHard"')))
      const named = yield* Objective.make(tripletBatchHard(), Term.named(tripletBatchHard(), "hard2"))
      assert.deepStrictEqual(
        named.terms.map((t) => t.name),
        ["tripletBatchHard", "hard2"]
      )
    })
  )

  it.effect("a term's requirement is resolved from the context", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      const values = tf.tidy(() => Objective.values(objective.compute(step())))
      const meanSq = X.flat().reduce((s, v) => s + v * v, 0) / 12
      expect(values["teacherNorm"]).toBeCloseTo(2 * meanSq, 4)
    }).pipe(Effect.provide(needsTeacher), Effect.provide(Layer.succeed(Teacher, { scale: 2 })))
  )

  it.effect("works inside tf.variableGrads (the training step) without leaking", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      const w = tf.variable(tf.eye(2))
      const x = emb(X)
      const y = lab(Y)
      const before = tf.memory().numTensors
      let reported: Record<string, number> = {}
      const { value, grads } = tf.variableGrads(() => {
        const features = tf.matMul(x, w) as tf.Tensor2D
        const v = objective.compute({ outputs: { features }, labels: y, inputs: x, index: 0 })
        reported = Objective.values(v)
        return v.total
      }, [w])
      const g = grads[w.name]!.dataSync()
      assert.isTrue(Array.from(g).every(Number.isFinite))
      expect(num(value)).toBeCloseTo(reported["total"]!, 6)
      tf.dispose([value, grads[w.name]!])
      assert.strictEqual(tf.memory().numTensors, before)
      tf.dispose([w, x, y])
    }).pipe(Effect.provide(Objective.layer(tripletBatchHard(), tripletSoftHard({ weight: 0.5 }))))
  )

  it.effect("a batch with no valid triplet gives a zero gradient, not an error", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      const w = tf.variable(tf.eye(2))
      const x = emb([
        [0, 1],
        [1, 0]
      ])
      const y = lab([0, 1])
      const { value, grads } = tf.variableGrads(
        () =>
          objective.compute({ outputs: { features: tf.matMul(x, w) as tf.Tensor2D }, labels: y, inputs: x, index: 0 })
            .total,
        [w]
      )
      assert.strictEqual(num(value), 0)
      assert.deepStrictEqual(Array.from(grads[w.name]!.dataSync()), [0, 0, 0, 0])
      tf.dispose([value, grads[w.name]!, w, x, y])
    }).pipe(Effect.provide(Objective.layer(tripletBatchHard())))
  )

  it.effect("missing outputs are typed errors naming the term and the fix", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      const s = step({ outputs: { features: emb(X) } })
      try {
        objective.compute(s)
        assert.fail("expected MissingOutput")
      } catch (e) {
        assert.strictEqual((e as { _tag: string })._tag, "MissingOutput")
        assert.include((e as Error).message, "crossEntropyLabelSmooth: the step has no outputs.logits")
      }
    }).pipe(Effect.provide(Objective.layer(crossEntropyLabelSmooth())))
  )

  it.effect("episodic terms read step.episode", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      assert.strictEqual(
        objective.formula,
        "1 * protoSoftmax(temperature=1, distance=squaredEuclidean) + 1 * dmml(mode=hardMining)"
      )
      const e = [
        [0, 0],
        [0.2, 0],
        [1, 1],
        [1, 1.2],
        [0, 0.1],
        [1, 1.1]
      ]
      const values = tf.tidy(() =>
        Objective.values(
          objective.compute(step({ outputs: { features: emb(e) }, episode: { ways: 2, shots: 2, queries: 1 } }))
        )
      )
      assert.isTrue(values["protoSoftmax"]! > 0 && values["dmml"]! > 0)
      assert.strictEqual(values["dmml.accuracy"], 1)
      assert.throws(() => objective.compute(step()), /protoSoftmax: the step has no episode/)
    }).pipe(Effect.provide(Objective.layer(protoSoftmax(), dmml())))
  )
})

describe("pair terms read the step", () => {
  it.effect("crossCameraPositives reads step.cameras, and fails with MissingOutput without them", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      // cameras 0 1 0 1 0 1: every identity pair is cross-camera, so nothing is skipped
      const v = tf.tidy(() => Objective.values(objective.compute(step({ cameras: lab([0, 1, 0, 1, 0, 1]) }))))
      assert.strictEqual(v["tripletBatchHard.skipped"], 0)
      const same = tf.tidy(() => Objective.values(objective.compute(step({ cameras: lab([0, 0, 1, 1, 2, 2]) }))))
      assert.strictEqual(same["tripletBatchHard.skipped"], 6)
      assert.strictEqual(same["tripletBatchHard"], 0)
      assert.throws(() => objective.compute(step()), /tripletBatchHard: the step has no cameras/)
    }).pipe(Effect.provide(Objective.layer(tripletBatchHard({ crossCameraPositives: true }))))
  )

  it.effect("references from the step (a mutual peer's embeddings) and the neck features", () =>
    Effect.gen(function* () {
      const objective = yield* Objective.Objective
      const shifted = X.map(([a, b]) => [a! + 0.5, b!])
      const v = tf.tidy(() =>
        Objective.values(
          objective.compute(
            step({ outputs: { features: emb(X), neckFeatures: emb(X) }, peer: { features: emb(shifted) } })
          )
        )
      )
      const direct = tf.tidy(() =>
        num(
          TripletBatchHard.loss(
            emb(X),
            lab(Y),
            { margin: 1, refSameItems: true },
            { references: { embeddings: emb(shifted) } }
          ).loss
        )
      )
      expect(v["tripletBatchHard"]).toBeCloseTo(direct, 6)
      assert.throws(() => objective.compute(step()), /the step has no outputs.neckFeatures/)
    }).pipe(
      Effect.provide(
        Objective.layer(
          tripletBatchHard({
            margin: 1,
            refSameItems: true,
            embedding: "neckFeatures",
            references: (s) => s.peer && { embeddings: s.peer.features }
          })
        )
      )
    )
  )
})

describe("centerLoss term", () => {
  it.effect("its centers are a scoped variable, updated once per step index", () =>
    Effect.gen(function* () {
      const state = yield* CenterLoss.makeState({ classes: 3, dimension: 2, alpha: 0.5 })
      const s0 = step()
      const first = tf.tidy(() => num(state.fn(s0).loss))
      // centers start at 0: loss = 1/(2B) sum |x|^2
      expect(first).toBeCloseTo(X.flat().reduce((a, v) => a + v * v, 0) / 12, 4)
      const after = state.centers.arraySync()
      // class 0 center: 0 - 0.5 * (2 * 0 - (x0 + x1)) / 3 = [1/6, 0]
      expect(after[0]![0]).toBeCloseTo(1 / 6, 6)
      tf.tidy(() => {
        state.fn(s0)
      }) // same index: no second update
      assert.deepStrictEqual(state.centers.arraySync(), after)
      tf.tidy(() => {
        state.fn({ ...s0, index: 1 })
      })
      assert.notDeepEqual(state.centers.arraySync(), after)
      assert.isFalse(state.centers.trainable)
    }).pipe(Effect.scoped)
  )

  it.effect("the Objective layer owns the centers: nothing is left when it is released", () =>
    noLeaksEffect(
      Effect.gen(function* () {
        const objective = yield* Objective.Objective
        assert.strictEqual(objective.formula, "0.003 * centerLoss(alpha=0.5, classes=3, dimension=2)")
        const v = tf.tidy(() => Objective.values(objective.compute(step())))
        assert.isTrue(v["centerLoss"]! > 0)
      }).pipe(Effect.provide(Objective.layer(centerLoss({ classes: 3, dimension: 2, weight: 0.003 })))),
      "centerLoss layer"
    )
  )
})

describe("Term", () => {
  it("describes only the options that are set, and can be re-weighted and renamed", () => {
    const t = tripletBatchHard({ softMargin: true })
    assert.strictEqual(t.describe, "tripletBatchHard(softMargin=true)")
    assert.strictEqual(Term.withWeight(t, 0.5).weight, 0.5)
    assert.strictEqual(Term.named(t, "x").name, "x")
    assert.strictEqual(Term.describeCall("f", { a: 1, b: undefined, c: "x", d: () => 1 }), "f(a=1, c=x)")
    assert.throws(() => tripletBatchHard({ margin: -0.1 }), /tripletBatchHard options/)
    // a NaN or infinite weight would silently turn the whole Objective into NaN
    assert.throws(
      () => tripletBatchHard({ weight: Number.NaN }),
      /tripletBatchHard: weight: NaN is not a finite number/
    )
    assert.throws(() => Term.withWeight(t, Number.POSITIVE_INFINITY), /weight: Infinity is not a finite number/)
    assert.strictEqual(tripletBatchHard({ weight: 0 }).weight, 0)
    // an option that changes the gradient shows in the formula
    assert.strictEqual(
      circleLoss({ detachWeights: false }).describe,
      "circleLoss(margin=0.25, gamma=128, detachWeights=false)"
    )
    assert.strictEqual(circleLoss().describe, "circleLoss(margin=0.25, gamma=128)")
  })
})
