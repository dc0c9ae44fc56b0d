import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { AttributeBce, CrossEntropyLabelSmooth, PartCrossEntropy } from "../src/index.ts"
import { lab, num, softplus, useCpu } from "./helpers.ts"

useCpu()

const disposeValue = (v: { loss: tf.Tensor; stats: Readonly<Record<string, tf.Tensor>> }) =>
  tf.dispose([v.loss, ...Object.values(v.stats)])

describe("partCrossEntropy (PCB)", () => {
  it("sums (or averages) the parts' cross-entropies", () => {
    const z1 = tf.tensor2d([
      [2, 0],
      [0, 1]
    ])
    const z2 = tf.tensor2d([
      [0, 0],
      [3, 0]
    ])
    const y = lab([0, 1])
    const ce = (z: tf.Tensor2D) => {
      const v = CrossEntropyLabelSmooth.loss(z, y, { epsilon: 0 })
      const out = num(v.loss)
      disposeValue(v)
      return out
    }
    // by hand: part 1: -(log s(2 - 0) + log s(1 - 0)) / 2; part 2: -(log 1/2 + log s(-3)) / 2
    const lsig = (x: number) => -softplus(-x)
    const by = -(lsig(2) + lsig(1)) / 2 - (Math.log(0.5) + lsig(-3)) / 2
    expect(ce(z1) + ce(z2)).toBeCloseTo(by, 5)
    const v = PartCrossEntropy.loss([z1, z2], y)
    expect(num(v.loss)).toBeCloseTo(by, 5)
    expect(num(v.stats.accuracy!)).toBeCloseTo((1 + 0.5) / 2, 6) // part 1: both right; part 2: the tie goes to class 0 (right), [3, 0] wrong
    disposeValue(v)
    const m = PartCrossEntropy.loss([z1, z2], y, { reduction: "mean" })
    expect(num(m.loss)).toBeCloseTo(by / 2, 5)
    disposeValue(m)
    expect(() => PartCrossEntropy.loss([], y)).toThrow(/partLogits/)
    tf.dispose([z1, z2, y])
  })
})

describe("attributeBce (APR, DeepMAR weighting)", () => {
  const ref = (z: number[][], a: number[][], weighting: "none" | "deepmar", sigma = 1) => {
    const cols = z[0]!.length
    const p = Array.from({ length: cols }, (_, j) => {
      const known = a.filter((r) => r[j]! >= 0)
      return known.filter((r) => r[j]! > 0).length / Math.max(1, known.length)
    })
    let s = 0
    z.forEach((row, i) => {
      row.forEach((zij, j) => {
        const aij = a[i]![j]!
        if (aij < 0) return
        const w = weighting === "none" ? 1 : aij > 0 ? Math.exp((1 - p[j]!) / sigma ** 2) : Math.exp(p[j]! / sigma ** 2)
        s += w * (softplus(zij) - (aij > 0 ? zij : 0))
      })
    })
    return s / (z.length * cols)
  }

  it("matches the definition (unknown labels left out), with and without DeepMAR's weights", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 4,
          maxLength: 4
        }),
        fc.array(fc.array(fc.constantFrom(0, 1, -1), { minLength: 3, maxLength: 3 }), { minLength: 4, maxLength: 4 }),
        fc.constantFrom("none" as const, "deepmar" as const),
        (z, a, weighting) => {
          const before = tf.memory().numTensors
          const [zt, at] = [tf.tensor2d(z), tf.tensor2d(a)]
          const v = AttributeBce.loss(zt, at, { weighting })
          expect(num(v.loss)).toBeCloseTo(ref(z, a, weighting), 4)
          disposeValue(v)
          tf.dispose([zt, at])
          expect(tf.memory().numTensors).toBe(before)
        }
      ),
      { numRuns: 40 }
    )
  })

  it("DeepMAR weights a rare attribute's positives up: hand-computed with given ratios", () => {
    const z = tf.tensor2d([[0, 0]])
    const a = tf.tensor2d([[1, 0]])
    // w = e^{1 - 0.1} for the positive of attribute 0, e^{0.5} for the negative of attribute 1; per entry log 2
    const v = AttributeBce.loss(z, a, { weighting: "deepmar", positiveRatios: [0.1, 0.5] })
    expect(num(v.loss)).toBeCloseTo(((Math.exp(0.9) + Math.exp(0.5)) * Math.LN2) / 2, 5)
    disposeValue(v)
    expect(() => AttributeBce.loss(z, a, { weighting: "deepmar", positiveRatios: [0.1] })).toThrow(
      /positiveRatios has 1 entries/
    )
    tf.dispose([z, a])
  })
})
