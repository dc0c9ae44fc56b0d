import * as tf from "@tensorflow/tfjs-core"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { LogitsKD, LwF, MutualLogitsKD } from "../src/index.ts"
import { kl, reshape, softmax, useCpu, value } from "./setup.ts"

useCpu()

const logits = (rows: number, cols: number) =>
  fc
    .array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols })
    .map((flat) => reshape(flat, rows, cols))

const referenceKD = (s: Array<Array<number>>, t: Array<Array<number>>, tau: number) =>
  (tau *
    tau *
    s.reduce((acc, row, b) => acc + kl(softmax(t[b]!.map((z) => z / tau)), softmax(row.map((z) => z / tau))), 0)) /
  s.length

describe("logitsKD (Hinton)", () => {
  it("hand-computed: one item, two classes, tau = 2", () => {
    // p_t = softmax([2, 0] / 2) = [0.731059, 0.268941]; p_s = softmax([0, 0] / 2) = [0.5, 0.5]
    // KL = 0.731059 ln(1.462117) + 0.268941 ln(0.537883) = 0.277719 - 0.166775 = 0.110944; times tau^2 = 4
    const s = tf.tensor2d([[0, 0]])
    const t = tf.tensor2d([[2, 0]])
    expect(value(LogitsKD.loss(s, t, { temperature: 2 }).loss)).toBeCloseTo(0.443775, 5)
    tf.dispose([s, t])
  })

  it("matches the plain reference; KL >= 0, and 0 exactly when the distributions agree", () => {
    fc.assert(
      fc.property(logits(3, 4), logits(3, 4), fc.constantFrom(1, 2, 4), (s, t, tau) => {
        noLeaks(() => {
          const [st, tt] = [tf.tensor2d(s), tf.tensor2d(t)]
          const got = value(LogitsKD.loss(st, tt, { temperature: tau }).loss)
          expect(got).toBeCloseTo(referenceKD(s, t, tau), 3)
          expect(got).toBeGreaterThanOrEqual(-1e-6)
          expect(value(LogitsKD.loss(st, st, { temperature: tau }).loss)).toBeCloseTo(0, 6)
          // a constant shift per row leaves the softmax unchanged: still 0
          const shifted = tf.tidy(() => tf.add(st, tf.tensor2d([[3], [-1], [0.5]])))
          expect(value(LogitsKD.loss(shifted as tf.Tensor2D, st, { temperature: tau }).loss)).toBeCloseTo(0, 5)
          tf.dispose([st, tt, shifted])
        })
      }),
      { numRuns: 40 }
    )
  })

  it("its gradient matches finite differences, and none flows into the teacher's logits", () => {
    const s = tf.tensor2d([
      [0.3, -1.2, 2.0],
      [1.0, 0.1, -0.4]
    ])
    const t = tf.tensor2d([
      [1.5, 0.2, -0.3],
      [0.0, 2.2, 0.7]
    ])
    const f = (x: tf.Tensor) => LogitsKD.loss(x as tf.Tensor2D, t, { temperature: 3 }).loss
    const [vs, vt] = [tf.variable(s), tf.variable(t)]
    const { value: v0, grads } = tf.variableGrads(() => LogitsKD.loss(vs, vt, { temperature: 3 }).loss, [vs, vt])
    expect(Object.keys(grads)).toEqual([vs.name]) // nothing reaches the teacher
    const g = Array.from(grads[vs.name]!.dataSync())
    const base = s.arraySync()
    const h = 1e-2
    for (let k = 0; k < 6; k++) {
      const plus = base.map((r) => [...r])
      const minus = base.map((r) => [...r])
      plus[Math.floor(k / 3)]![k % 3]! += h
      minus[Math.floor(k / 3)]![k % 3]! -= h
      const [p, m] = [tf.tensor2d(plus), tf.tensor2d(minus)]
      const numeric = (value(f(p)) - value(f(m))) / (2 * h)
      expect(g[k]!).toBeCloseTo(numeric, 3)
      tf.dispose([p, m])
    }
    tf.dispose([s, t, vs, vt, v0, grads[vs.name]!])
  })

  it("rejects mismatched shapes and bad options with typed errors", () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D
    const b = tf.zeros([2, 4]) as tf.Tensor2D
    expect(() => LogitsKD.loss(a, b)).toThrow(/teacher logits: expected shape \[2, 3\]/)
    expect(() => LogitsKD.loss(a, a, { temperature: 0 })).toThrow(/logitsKD options.*greater than 0/)
    tf.dispose([a, b])
  })
})

describe("mutualLogitsKD (MDKT L_MKD, DML)", () => {
  it("is the sum of both one-way KDs and symmetric in its two models", () => {
    fc.assert(
      fc.property(logits(2, 3), logits(2, 3), fc.constantFrom(1, 2), (a, b, tau) => {
        noLeaks(() => {
          const [at, bt] = [tf.tensor2d(a), tf.tensor2d(b)]
          const ab = MutualLogitsKD.loss(at, bt, { temperature: tau })
          const ba = MutualLogitsKD.loss(bt, at, { temperature: tau })
          const v = value(ab.loss)
          expect(v).toBeCloseTo(value(ba.loss), 5)
          expect(v).toBeCloseTo(referenceKD(a, b, tau) + referenceKD(b, a, tau), 3)
          tf.dispose([...Object.values(ab.stats), ...Object.values(ba.stats)])
          tf.dispose([at, bt])
        })
      }),
      { numRuns: 30 }
    )
  })

  it("each model learns only from its own direction (the other's target is detached)", () => {
    const a = tf.tensor2d([[0.3, -1.2, 2.0]])
    const b = tf.tensor2d([[1.5, 0.2, -0.3]])
    const [gaBoth, gbBoth] = tf.grads(
      (x: tf.Tensor, y: tf.Tensor) => MutualLogitsKD.loss(x as tf.Tensor2D, y as tf.Tensor2D, { temperature: 2 }).loss
    )([a, b])
    const ga = tf.grad((x: tf.Tensor) => MutualLogitsKD.oneWay(x as tf.Tensor2D, b, 2))(a)
    const gb = tf.grad((y: tf.Tensor) => MutualLogitsKD.oneWay(y as tf.Tensor2D, a, 2))(b)
    expect(Array.from(gaBoth!.dataSync())).toEqual(Array.from(ga.dataSync()))
    expect(Array.from(gbBoth!.dataSync())).toEqual(Array.from(gb.dataSync()))
    const [va, vb] = [tf.variable(a), tf.variable(b)]
    const { value: v0, grads } = tf.variableGrads(
      () => MutualLogitsKD.loss(va, vb, { temperature: 2, directions: "fromPeer" }).loss,
      [va, vb]
    )
    expect(Object.keys(grads)).toEqual([va.name])
    tf.dispose([a, b, gaBoth!, gbBoth!, ga, gb, va, vb, v0, grads[va.name]!])
  })
})

describe("lwf (Li & Hoiem)", () => {
  it("hand-computed: KL of the softened old-class distributions, new classes ignored", () => {
    // old logits [2, 0], new logits on the old classes [0, 0] (+ a new class 5); T = 2: as logitsKD / tau^2
    const fresh = tf.tensor2d([[0, 0, 5]])
    const old = tf.tensor2d([[2, 0]])
    expect(value(LwF.loss(fresh, old).loss)).toBeCloseTo(0.110944, 5)
    // offset: the old classes are columns 1..2
    const shifted = tf.tensor2d([[5, 0, 0]])
    expect(value(LwF.loss(shifted, old, { offset: 1 }).loss)).toBeCloseTo(0.110944, 5)
    expect(() => LwF.loss(shifted, old, { offset: 2 })).toThrow(/columns 2..3/)
    expect(() => LwF.loss(shifted, old, { offset: 0.5 })).toThrow(/lwf options/)
    tf.dispose([fresh, old, shifted])
  })

  it("KL >= 0, and 0 when the new model's old-class scores agree with the old model's", () => {
    fc.assert(
      fc.property(logits(2, 3), logits(2, 2), fc.constantFrom(1, 2, 5), (n, o, T) => {
        noLeaks(() => {
          const [nt, ot] = [tf.tensor2d(n), tf.tensor2d(o)]
          const expected =
            n.reduce(
              (acc, row, b) => acc + kl(softmax(o[b]!.map((z) => z / T)), softmax(row.slice(0, 2).map((z) => z / T))),
              0
            ) / 2
          const got = value(LwF.loss(nt, ot, { temperature: T }).loss)
          expect(got).toBeCloseTo(expected, 4)
          expect(got).toBeGreaterThanOrEqual(-1e-6)
          const same = tf.tidy(() => tf.concat([ot, tf.ones([2, 1])], 1) as tf.Tensor2D)
          expect(value(LwF.loss(same, ot, { temperature: T }).loss)).toBeCloseTo(0, 6)
          tf.dispose([nt, ot, same])
        })
      }),
      { numRuns: 30 }
    )
  })
})
