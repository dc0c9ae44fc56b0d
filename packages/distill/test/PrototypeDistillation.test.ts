import * as tf from "@tensorflow/tfjs-core"
import { type EpisodeLayout, Objective, type Step } from "@reidfx/metric"
import { noLeaks } from "@reidfx/tensor/testing"
import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DwoPP, DwPP, dwopp, dwpp, OldModel, PrototypeDistillation } from "../src/index.ts"

const dwppLoss = (a: tf.Tensor2D, b: tf.Tensor2D, e: EpisodeLayout, o?: DwPP.OptionsInput) => DwPP.loss(a, b, e, o).loss
const dwoppLoss = (a: tf.Tensor2D, b: tf.Tensor2D, e: EpisodeLayout, o?: DwoPP.OptionsInput) =>
  DwoPP.loss(a, b, e, o).loss
import { kl, matrix, reshape, softmax, sqDist, useCpu, value } from "./setup.ts"

useCpu()

/** Plain-JS DwPP / DwoPP on an episode (support means, squared euclidean, mean over queries). */
const reference = (
  fresh: Array<Array<number>>,
  old: Array<Array<number>>,
  ways: number,
  shots: number,
  queries: number,
  T: number,
  without: boolean
): number => {
  const protos = (f: Array<Array<number>>) =>
    Array.from({ length: ways }, (_, c) => {
      const rows = f.slice(c * shots, (c + 1) * shots)
      return rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / shots)
    })
  const pn = protos(fresh)
  const po = protos(old)
  let total = 0
  for (let q = 0; q < ways * queries; q++) {
    const y = Math.floor(q / queries)
    const classes = Array.from({ length: ways }, (_, c) => c).filter((c) => !without || c !== y)
    const gn = softmax(classes.map((c) => -sqDist(fresh[ways * shots + q]!, pn[c]!) / T))
    const go = softmax(classes.map((c) => -sqDist(old[ways * shots + q]!, po[c]!) / T))
    total += kl(go, gn)
  }
  return total / (ways * queries)
}

describe("DwPP / DwoPP", () => {
  it("hand-computed 2-way 1-shot 1-query DwPP", () => {
    // new: u0 = 0, u1 = 2, queries 0.5 (class 0), 1.5 (class 1); old: u0 = 0, u1 = 1, queries 0, 1
    const fresh = tf.tensor2d([[0], [2], [0.5], [1.5]])
    const old = tf.tensor2d([[0], [1], [0], [1]])
    const got = value(dwppLoss(fresh, old, { ways: 2, shots: 1, queries: 1 }))
    // g_old = softmax(0, -1) = [0.731059, 0.268941]; g_new = softmax(-0.25, -2.25) = [0.880797, 0.119203]
    const expected = 0.731059 * Math.log(0.731059 / 0.880797) + 0.268941 * Math.log(0.268941 / 0.119203)
    expect(got).toBeCloseTo(expected, 5)
    // = 0.731059 * ln(0.830000) + 0.268941 * ln(2.256158) = -0.136219 + 0.218830
    expect(got).toBeCloseTo(0.082611, 5)
    // DwoPP with two ways: each query has one class left, probability 1 in both models
    expect(value(dwoppLoss(fresh, old, { ways: 2, shots: 1, queries: 1 }))).toBe(0)
    tf.dispose([fresh, old])
  })

  it("hand-computed 3-way 1-shot 1-query DwoPP (the positive class left out)", () => {
    // 1-D embeddings, support then queries. New model: u = 0, 1, 3, queries 0, 1, 3. Old model: u = 0, 2, 3, queries 0, 2, 3.
    // Squared distances to the two negative prototypes, as a two-class softmax sigma(d_b - d_a) on the first one:
    //   q0 (class 0): new d(u1, u2) = 1, 9 -> sigma(8); old 4, 9 -> sigma(5)
    //   q1 (class 1): new d(u0, u2) = 1, 4 -> sigma(3); old 4, 1 -> sigma(-3)
    //   q2 (class 2): new d(u0, u1) = 9, 4 -> sigma(-5); old 9, 1 -> sigma(-8)
    const sig = (z: number) => 1 / (1 + Math.exp(-z))
    const bkl = (zOld: number, zNew: number) =>
      sig(zOld) * Math.log(sig(zOld) / sig(zNew)) + (1 - sig(zOld)) * Math.log((1 - sig(zOld)) / (1 - sig(zNew)))
    const expected = (bkl(5, 8) + bkl(-3, 3) + bkl(-8, -5)) / 3
    const fresh = tf.tensor2d([[0], [1], [3], [0], [1], [3]])
    const old = tf.tensor2d([[0], [2], [3], [0], [2], [3]])
    expect(value(dwoppLoss(fresh, old, { ways: 3, shots: 1, queries: 1 }))).toBeCloseTo(expected, 5)
    expect(expected).toBeCloseTo(0.91151, 4) // (0.013703 + 2.715446 + 0.005376) / 3
    tf.dispose([fresh, old])
  })

  it("matches the plain reference on random episodes (both forms, temperatures, shots, queries)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.constantFrom(0.5, 1, 2),
        fc.boolean(),
        fc.infiniteStream(fc.double({ min: -2, max: 2, noNaN: true })),
        (ways, shots, queries, T, without, numbers) => {
          const n = ways * (shots + queries)
          const it = numbers[Symbol.iterator]()
          const draw = () =>
            reshape(
              Array.from({ length: n * 3 }, () => it.next().value as number),
              n,
              3
            )
          const f = draw()
          const o = draw()
          const got = noLeaks(() => {
            const [ft, ot] = [tf.tensor2d(f), tf.tensor2d(o)]
            const loss = (without ? dwoppLoss : dwppLoss)(ft, ot, { ways, shots, queries }, { temperature: T })
            tf.dispose([ft, ot])
            return value(loss)
          })
          expect(got).toBeCloseTo(reference(f, o, ways, shots, queries, T, without), 3)
          expect(got).toBeGreaterThanOrEqual(-1e-6)
        }
      ),
      { numRuns: 40 }
    )
  })

  it("KL is 0 when the old and new models agree", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 18, maxLength: 18 }), (flat) => {
        const f = tf.tensor2d(flat, [9, 2])
        expect(value(dwppLoss(f, f, { ways: 3, shots: 2, queries: 1 }))).toBeCloseTo(0, 6)
        expect(value(dwoppLoss(f, f, { ways: 3, shots: 2, queries: 1 }))).toBeCloseTo(0, 6)
        f.dispose()
      }),
      { numRuns: 30 }
    )
  })

  const Q = 4
  const C = 4
  const labels = [0, 1, 2, 3]
  const labelArray = Int32Array.from(labels)
  const distances = fc.array(fc.double({ min: 0, max: 6, noNaN: true }), { minLength: Q * C, maxLength: Q * C })

  it("DwoPP: value and gradient do not depend on the distance to the positive prototype", () => {
    fc.assert(
      fc.property(
        distances,
        distances,
        fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { minLength: 2 * Q, maxLength: 2 * Q }),
        (dOld, dNew, positives) => {
          noLeaks(() => {
            const run = (o: Array<number>, n: Array<number>) => {
              const old = tf.tensor2d(o, [Q, C])
              const fresh = tf.tensor2d(n, [Q, C])
              const opts = { temperature: 1.5, positivePair: "without" as const }
              const { value: v, grad } = tf.valueAndGrad((x: tf.Tensor) =>
                PrototypeDistillation.fromDistances(old, x as tf.Tensor2D, labelArray, opts)
              )(fresh)
              const out = { v: v.dataSync()[0]!, g: Array.from(grad.dataSync()) }
              tf.dispose([old, fresh, v, grad])
              return out
            }
            const a = run(dOld, dNew)
            const o2 = [...dOld]
            const n2 = [...dNew]
            for (let q = 0; q < Q; q++) {
              o2[q * C + labels[q]!] = positives[q]!
              n2[q * C + labels[q]!] = positives[Q + q]!
            }
            const b = run(o2, n2)
            expect(b.v).toBe(a.v)
            expect(b.g).toEqual(a.g)
            for (let q = 0; q < Q; q++) expect(Math.abs(a.g[q * C + labels[q]!]!)).toBe(0)
          })
        }
      ),
      { numRuns: 30 }
    )
  })

  it("DwoPP probabilities sum to 1 over C without the label class, DwPP over C", () => {
    fc.assert(
      fc.property(distances, fc.constantFrom(0.5, 1, 3), (d, T) => {
        const dt = tf.tensor2d(d, [Q, C])
        const without = matrix(
          PrototypeDistillation.probabilities(dt, labelArray, { temperature: T, positivePair: "without" })
        )
        const withP = matrix(
          PrototypeDistillation.probabilities(dt, labelArray, { temperature: T, positivePair: "with" })
        )
        for (let q = 0; q < Q; q++) {
          expect(without[q]![labels[q]!]).toBe(0)
          expect(without[q]!.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5)
          expect(withP[q]!.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5)
          // the ratio of two negatives' probabilities is the same with and without the positive
          const [a, b] = [0, 1, 2, 3].filter((c) => c !== labels[q])
          const ratio = without[q]![a!]! / without[q]![b!]!
          expect(Math.abs(ratio / (withP[q]![a!]! / withP[q]![b!]!) - 1)).toBeLessThan(1e-4)
        }
        dt.dispose()
      }),
      { numRuns: 30 }
    )
  })

  it("rejects episodes that do not fit the batch, with typed errors", () => {
    const f = tf.zeros([6, 2]) as tf.Tensor2D
    expect(() => dwoppLoss(f, f, { ways: 2, shots: 2, queries: 2 })).toThrow(/episode of 2 ways/)
    expect(() => dwoppLoss(f, f, { ways: 1, shots: 3, queries: 3 })).toThrow(/at least 2 ways/)
    try {
      dwppLoss(f, f, { ways: 3, shots: 1, queries: 1 }, { temperature: -1 })
      expect.unreachable()
    } catch (e) {
      expect((e as { _tag: string })._tag).toBe("InvalidOption")
      expect(String((e as Error).message)).toContain("temperature")
    }
    f.dispose()
  })

  it("as Objective terms: reads the OldModel and the episode, no tensor leaks, old model untouched", async () => {
    const ways = 3
    const shots = 2
    const queries = 1
    const n = ways * (shots + queries)
    const oldW = tf.variable(tf.randomNormal([4, 3], 0, 1, "float32", 1), true, "old-w")
    const newW = tf.variable(tf.randomNormal([4, 3], 0, 1, "float32", 2), true, "new-w")
    const inputs = tf.randomNormal([n, 4], 0, 1, "float32", 3)
    const labels = tf.tensor1d([0, 0, 1, 1, 2, 2, 0, 1, 2], "int32")
    const objective = await Effect.runPromise(
      Objective.make(dwopp({ temperature: 2 }), dwpp()).pipe(
        Effect.provide(OldModel.fromForward((x) => ({ features: tf.matMul(x, oldW) }), { weights: [oldW] }))
      )
    )
    expect(objective.formula).toBe(
      "1 * dwopp(temperature=2, distance=squaredEuclidean, from=oldModel) + 1 * dwpp(temperature=1, distance=squaredEuclidean, from=oldModel)"
    )
    const before = oldW.dataSync().slice()
    const optimizer = tf.train.sgd(0.5)
    noLeaks(() => {
      for (let i = 0; i < 3; i++) {
        const cost = optimizer.minimize(() => {
          const step: Step = {
            outputs: { features: tf.matMul(inputs, newW) },
            labels,
            inputs,
            episode: { ways, shots, queries },
            index: i
          }
          return objective.compute(step).total
        }, true)
        cost?.dispose()
      }
    })
    expect(Array.from(oldW.dataSync())).toEqual(Array.from(before))
    const missing = () =>
      objective.compute({ outputs: { features: tf.matMul(inputs, newW) }, labels, inputs, index: 0 })
    expect(() => tf.tidy(() => missing().total)).toThrow(/no episode/)
    optimizer.dispose()
    tf.dispose([oldW, newW, inputs, labels])
  })
})
