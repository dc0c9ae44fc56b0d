/** Hand-computed values for every loss, on batches small enough to check with pencil and paper. */
import * as tf from "@tensorflow/tfjs-core"
import { describe, expect, it } from "vitest"
import {
  CenterLoss,
  CircleLoss,
  Contrastive,
  CrossEntropyLabelSmooth,
  Dmml,
  ImprovedTriplet,
  MarginSampleMining,
  marginSample,
  ProtoSoftmax,
  Quadruplet,
  TripletBatchAll,
  TripletBatchHard,
  TripletSoftHard
} from "../src/index.ts"
import { emb, evaluate, lab, refCircle, refSoftHard, softplus, useCpu } from "./helpers.ts"

useCpu()

// 1-D points (as [x, 0]); labels 0 0 1 1 2. Distances:
//   0: [0, 1, 3, 4.5, 10]   1: [1, 0, 2, 3.5, 9]   2: [3, 2, 0, 1.5, 7]   3: [4.5, 3.5, 1.5, 0, 5.5]   4: [10, 9, 7, 5.5, 0]
const X = [
  [0, 0],
  [1, 0],
  [3, 0],
  [4.5, 0],
  [10, 0]
]
const Y = [0, 0, 1, 1, 2]
const run =
  <A>(f: (x: tf.Tensor2D, y: tf.Tensor1D) => A) =>
  () =>
    f(emb(X), lab(Y))

describe("tripletBatchHard", () => {
  it("hinge: mean over valid anchors of [max d_ap - min d_an + m]_+", () => {
    // anchors 0..3: (1, 3), (1, 2), (1.5, 2), (1.5, 3.5); m = 1 -> 0, 0, 0.5, 0; anchor 4 skipped
    const v = evaluate(run((x, y) => TripletBatchHard.loss(x, y, { margin: 1 })))
    expect(v.loss).toBeCloseTo(0.125, 6)
    expect(v.stats).toEqual({ triplets: 4, active: 1, skipped: 1 })
  })
  it("soft margin: softplus of the gaps", () => {
    const v = evaluate(run((x, y) => TripletBatchHard.loss(x, y, { softMargin: true })))
    expect(v.loss).toBeCloseTo((softplus(-2) + softplus(-1) + softplus(-0.5) + softplus(-2)) / 4, 6)
  })
  it("anchorAsPositive: the lone anchor uses itself (d_ap = 0, d_an = 5.5)", () => {
    const v = evaluate(run((x, y) => TripletBatchHard.loss(x, y, { margin: 1, anchorAsPositive: true })))
    expect(v.loss).toBeCloseTo(0.5 / 5, 6)
    expect(v.stats["skipped"]).toBe(0)
  })
  it("reductions: sum and meanNonZero", () => {
    expect(evaluate(run((x, y) => TripletBatchHard.loss(x, y, { margin: 1, reduction: "sum" }))).loss).toBeCloseTo(
      0.5,
      6
    )
    expect(
      evaluate(run((x, y) => TripletBatchHard.loss(x, y, { margin: 1, reduction: "meanNonZero" }))).loss
    ).toBeCloseTo(0.5, 6)
  })
  it("no valid triplet gives exactly 0 with the count, never NaN", () => {
    const v = evaluate(() =>
      TripletBatchHard.loss(
        emb([
          [0, 0],
          [1, 1],
          [2, 2]
        ]),
        lab([0, 1, 2])
      )
    )
    expect(v.loss).toBe(0)
    expect(v.stats).toEqual({ triplets: 0, active: 0, skipped: 3 })
    expect(
      evaluate(() =>
        TripletBatchHard.loss(
          emb([
            [0, 0],
            [1, 1]
          ]),
          lab([5, 5])
        )
      ).loss
    ).toBe(0)
  })
  it("bad options and shapes are typed errors with a readable message", () => {
    expect(() => TripletBatchHard.loss(emb(X), lab(Y), { margin: -1 })).toThrow(
      /tripletBatchHard options: Expected a value greater than or equal to 0/
    )
    try {
      TripletBatchHard.loss(emb(X), lab([0, 1]))
      expect.unreachable()
    } catch (e) {
      expect((e as { _tag: string })._tag).toBe("ShapeMismatch")
      expect(String((e as Error).message)).toMatch(/labels: expected shape \[5\], got \[2\]/)
    }
  })
})

describe("tripletBatchAll", () => {
  it("12 valid triplets, one non-zero (0.5): mean 0.5/12, meanNonZero 0.5", () => {
    const nz = evaluate(run((x, y) => TripletBatchAll.loss(x, y, { margin: 1 })))
    expect(nz.loss).toBeCloseTo(0.5, 6)
    expect(nz.stats).toEqual({ triplets: 12, active: 1, skipped: 1 })
    expect(evaluate(run((x, y) => TripletBatchAll.loss(x, y, { margin: 1, reduction: "mean" }))).loss).toBeCloseTo(
      0.5 / 12,
      6
    )
  })
  it("soft margin sums softplus over all triplets", () => {
    const d = [
      [0, 1, 3, 4.5, 10],
      [1, 0, 2, 3.5, 9],
      [3, 2, 0, 1.5, 7],
      [4.5, 3.5, 1.5, 0, 5.5]
    ]
    let s = 0
    for (let a = 0; a < 4; a++)
      for (let p = 0; p < 4; p++)
        for (let n = 0; n < 5; n++) if (p !== a && Y[p] === Y[a] && Y[n] !== Y[a]) s += softplus(d[a]![p]! - d[a]![n]!)
    expect(
      evaluate(run((x, y) => TripletBatchAll.loss(x, y, { softMargin: true, reduction: "mean" }))).loss
    ).toBeCloseTo(s / 12, 6)
  })
  it("all triplets satisfied: 0 (meanNonZero of nothing is 0, not NaN)", () => {
    expect(evaluate(run((x, y) => TripletBatchAll.loss(x, y, { margin: 0.1 }))).loss).toBe(0)
  })
})

describe("tripletSoftHard", () => {
  it("equals the masked-softmax formula (anchor 0: one positive at 1, negatives at 3, 4.5, 10)", () => {
    const v = evaluate(run((x, y) => TripletSoftHard.loss(x, y, { temperature: 1 })))
    expect(v.loss).toBeCloseTo(refSoftHard(X, Y, 1, 0.3, false), 5)
    expect(evaluate(run((x, y) => TripletSoftHard.loss(x, y, { softMargin: true }))).loss).toBeCloseTo(
      refSoftHard(X, Y, 1, 0, true),
      5
    )
    // one anchor [0] (label 0) against references [1] (0), [3] (1), [4.5] (1), [10] (2), by hand
    const z = Math.exp(-3) + Math.exp(-4.5) + Math.exp(-10)
    const dn = (3 * Math.exp(-3) + 4.5 * Math.exp(-4.5) + 10 * Math.exp(-10)) / z
    const one = evaluate(() =>
      TripletSoftHard.loss(
        emb([[0, 0]]),
        lab([0]),
        { softMargin: true },
        { references: { embeddings: emb(X.slice(1)), labels: lab(Y.slice(1)) } }
      )
    )
    expect(one.loss).toBeCloseTo(softplus(1 - dn), 6)
    const hinge = evaluate(run((x, y) => TripletSoftHard.loss(x, y, { temperature: 2, softMargin: false, margin: 1 })))
    expect(hinge.loss).toBeCloseTo(refSoftHard(X, Y, 2, 1, false), 5)
    expect(hinge.stats["skipped"]).toBe(1)
  })
})

describe("contrastive", () => {
  it("positive pairs d^2, no negative pair inside the margin: 6.5 / 20 ordered pairs", () => {
    const v = evaluate(run((x, y) => Contrastive.loss(x, y)))
    expect(v.loss).toBeCloseTo(6.5 / 20, 6)
    expect(v.stats).toEqual({ positivePairs: 4, negativePairs: 16, active: 4, skipped: 1 })
  })
  it("margins and power: m_pos = 1.2, m_neg = 2.5, p = 1", () => {
    // positives: [1-1.2]+ = 0 (x2), [1.5-1.2]+ = 0.3 (x2); negatives below 2.5: d(1,2) = 2 twice -> 0.5 each
    const v = evaluate(
      run((x, y) => Contrastive.loss(x, y, { positiveMargin: 1.2, negativeMargin: 2.5, power: 1, reduction: "sum" }))
    )
    expect(v.loss).toBeCloseTo(0.6 + 1.0, 5)
  })
  it("with the margin-sample pair miner", () => {
    // hardest positive pair (2,3): 1.5^2; hardest negative pair (1,2): [1 - 2]+ = 0
    const v = evaluate(run((x, y) => Contrastive.loss(x, y, { miner: marginSample() })))
    expect(v.loss).toBeCloseTo(2.25 / 2, 6)
  })
})

describe("improvedTriplet", () => {
  it("sum over the 12 triplets of max(d_ap^2 - d_an^2, -1) + 0.002 max(d_ap^2, 0.01), averaged", () => {
    const d = [
      [0, 1, 3, 4.5, 10],
      [1, 0, 2, 3.5, 9],
      [3, 2, 0, 1.5, 7],
      [4.5, 3.5, 1.5, 0, 5.5]
    ]
    let s = 0
    let n = 0
    for (let a = 0; a < 4; a++)
      for (let p = 0; p < 4; p++)
        for (let q = 0; q < 5; q++) {
          if (p === a || Y[p] !== Y[a] || Y[q] === Y[a]) continue
          const dap = d[a]![p]! ** 2
          s += Math.max(dap - d[a]![q]! ** 2, -1) + 0.002 * Math.max(dap, 0.01)
          n++
        }
    const v = evaluate(run((x, y) => ImprovedTriplet.loss(x, y)))
    expect(v.loss).toBeCloseTo(s / n, 5)
    expect(v.loss).toBeLessThan(0) // every triplet is satisfied by more than |tau1|
  })
})

describe("quadruplet", () => {
  it("alpha2 large enough to activate the second term", () => {
    // first terms 0, 0, 0.5, 0; hardest negative pair avoiding label 0 is (3,4) at 5.5, avoiding label 1 is (1,4) at 9
    // alpha2 = 8: second terms 1 - 5.5 + 8 = 3.5, 3.5, 1.5 - 9 + 8 = 0.5, 0.5
    const v = evaluate(run((x, y) => Quadruplet.loss(x, y, { alpha1: 1, alpha2: 8 })))
    expect(v.loss).toBeCloseTo((3.5 + 3.5 + 1 + 0.5) / 4, 5)
    expect(v.stats).toEqual({ triplets: 4, quadruplets: 4, active: 4, skipped: 1, skippedSecond: 0 })
    expect(evaluate(run((x, y) => Quadruplet.loss(x, y))).loss).toBeCloseTo(0.5 / 4, 5)
  })
  it("two identities: no negative pair avoids the anchor's identity; the second term is skipped and counted", () => {
    const v = evaluate(() => Quadruplet.loss(emb(X.slice(0, 4)), lab(Y.slice(0, 4)), { alpha1: 1 }))
    expect(v.loss).toBeCloseTo(0.125, 6)
    expect(v.stats["skippedSecond"]).toBe(4)
  })
})

describe("marginSampleMining", () => {
  it("[max positive pair - min negative pair + m]_+ = [1.5 - 2 + 1]_+", () => {
    expect(evaluate(run((x, y) => MarginSampleMining.loss(x, y, { margin: 1 }))).loss).toBeCloseTo(0.5, 6)
    expect(evaluate(run((x, y) => MarginSampleMining.loss(x, y, { softMargin: true }))).loss).toBeCloseTo(
      softplus(-0.5),
      6
    )
    expect(evaluate(run((x, y) => MarginSampleMining.loss(x, y))).loss).toBe(0)
  })
})

describe("circleLoss", () => {
  it("equals the paper's formula on a small batch", () => {
    const x = [
      [1, 0],
      [0.8, 0.6],
      [0, 1],
      [-0.6, 0.8],
      [0.3, -1]
    ]
    const y = [0, 0, 1, 1, 0]
    for (const [m, gamma] of [
      [0.25, 128],
      [0.4, 16]
    ] as const) {
      const v = evaluate(() => CircleLoss.loss(emb(x), lab(y), { margin: m, gamma }))
      expect(v.loss).toBeCloseTo(refCircle(x, y, m, gamma), 3)
      expect(v.stats).toEqual({ anchors: 5, skipped: 0 })
    }
    // one anchor [1, 0] (label 0) against references: positives s = 0.8 and 0.3/|(0.3, -1)|, negatives s = 0 and -0.6
    const s1 = 0.3 / Math.hypot(0.3, 1)
    const zp = [0.8, s1].map((s) => -16 * Math.max(1.4 - s, 0) * (s - 0.6))
    const zn = [0, -0.6].map((s) => 16 * Math.max(s + 0.4, 0) * (s - 0.4))
    const a0 = Math.log1p(zn.reduce((a, z) => a + Math.exp(z), 0) * zp.reduce((a, z) => a + Math.exp(z), 0))
    const one = evaluate(() =>
      CircleLoss.loss(
        emb([x[0]!]),
        lab([0]),
        { margin: 0.4, gamma: 16 },
        { references: { embeddings: emb(x.slice(1)), labels: lab(y.slice(1)) } }
      )
    )
    expect(one.loss).toBeCloseTo(a0, 4)
  })
})

describe("crossEntropyLabelSmooth", () => {
  const logits = [
    [1, 2, 3],
    [0, 0, 0]
  ]
  const logp = (r: Array<number>) => {
    const m = Math.log(r.reduce((s, v) => s + Math.exp(v), 0))
    return r.map((v) => v - m)
  }
  it("uniform eps/K and off-target eps/(K-1)", () => {
    const l0 = logp(logits[0]!)
    const l1 = logp(logits[1]!)
    const uniform = (-(0.1 / 3) * (l0[0]! + l0[1]!) - (0.9 + 0.1 / 3) * l0[2]! - l1.reduce((s, v) => s + v, 0) / 3) / 2
    const others = (-(0.05 * (l0[0]! + l0[1]!) + 0.9 * l0[2]!) - (0.9 * l1[0]! + 0.05 * (l1[1]! + l1[2]!))) / 2
    const u = evaluate(() => CrossEntropyLabelSmooth.loss(emb(logits), lab([2, 0])))
    expect(u.loss).toBeCloseTo(uniform, 5)
    expect(u.loss).toBeCloseTo(0.80311, 4)
    expect(u.stats["accuracy"]).toBe(1)
    expect(
      evaluate(() => CrossEntropyLabelSmooth.loss(emb(logits), lab([2, 0]), { offTarget: "others" })).loss
    ).toBeCloseTo(others, 5)
    expect(evaluate(() => CrossEntropyLabelSmooth.loss(emb(logits), lab([2, 0]), { epsilon: 0 })).loss).toBeCloseTo(
      -(l0[2]! + l1[0]!) / 2,
      5
    )
  })
  it("labels outside the classifier and bad epsilon are InvalidOption errors", () => {
    expect(() => tf.tidy(() => CrossEntropyLabelSmooth.loss(emb(logits), lab([3, 0])).loss)).toThrow(
      /label 3 at index 0 is outside \[0, 3\)/
    )
    expect(() => CrossEntropyLabelSmooth.loss(emb(logits), lab([0, 0]), { epsilon: 1 })).toThrow(
      /crossEntropyLabelSmooth options/
    )
  })
})

describe("protoSoftmax", () => {
  it("prototypes from the support set, softmax over -d^2 / T", () => {
    // support [0,0] (class 0), [1,1] (class 1); queries [0,0.1] (0), [1,1.1] (1)
    const e = [
      [0, 0],
      [1, 1],
      [0, 0.1],
      [1, 1.1]
    ]
    const layout = { ways: 2, shots: 1, queries: 1 }
    const v = evaluate(() => ProtoSoftmax.loss(emb(e), layout))
    expect(v.loss).toBeCloseTo((Math.log1p(Math.exp(0.01 - 1.81)) + Math.log1p(Math.exp(0.01 - 2.21))) / 2, 5)
    expect(v.stats["accuracy"]).toBe(1)
    const t2 = evaluate(() => ProtoSoftmax.loss(emb(e), layout, { temperature: 2 }))
    expect(t2.loss).toBeCloseTo(
      (Math.log1p(Math.exp((0.01 - 1.81) / 2)) + Math.log1p(Math.exp((0.01 - 2.21) / 2))) / 2,
      5
    )
    const protos = tf.tidy(() =>
      ProtoSoftmax.prototypes(
        emb([
          [0, 0],
          [2, 0],
          [1, 1],
          [1, 3]
        ]),
        2,
        2
      ).arraySync()
    )
    expect(protos).toEqual([
      [1, 0],
      [1, 2]
    ])
    expect(() => tf.tidy(() => ProtoSoftmax.loss(emb(e), { ways: 2, shots: 2, queries: 1 }).loss)).toThrow(
      /an episode of 2 ways x \(2 shots \+ 1 queries\) has 6 items, but the batch has 4/
    )
  })
})

describe("dmml", () => {
  // support class 0: [0,0], [0.2,0]; class 1: [1,1], [1,1.2]; queries [0,0.1] (0), [1,1.1] (1)
  const e = [
    [0, 0],
    [0.2, 0],
    [1, 1],
    [1, 1.2],
    [0, 0.1],
    [1, 1.1]
  ]
  const layout = { ways: 2, shots: 2, queries: 1 }
  const ce = (own: number, other: number) => Math.log1p(Math.exp(own - other))
  it("center support: distances to the support means [0.1, 0] and [1, 1.1]", () => {
    const v = evaluate(() => Dmml.loss(emb(e), layout, { mode: "centerSupport" }))
    expect(v.loss).toBeCloseTo(
      (ce(Math.hypot(0.1, 0.1), Math.hypot(1, 1.1 - 0.1 + 0.1 - 0.1)) + ce(0, Math.hypot(0.9, 1.1))) / 2,
      4
    )
  })
  it("hard mining: farthest own support, closest other support; margin adds to the own distance", () => {
    const own0 = Math.hypot(0.2, 0.1)
    const other0 = Math.hypot(1, 0.9)
    const own1 = 0.1
    const other1 = Math.hypot(0.8, 1.1)
    expect(evaluate(() => Dmml.loss(emb(e), layout)).loss).toBeCloseTo((ce(own0, other0) + ce(own1, other1)) / 2, 4)
    expect(evaluate(() => Dmml.loss(emb(e), layout, { margin: 0.4 })).loss).toBeCloseTo(
      (ce(own0 + 0.4, other0) + ce(own1 + 0.4, other1)) / 2,
      4
    )
    const sumSq = e.reduce((s, r) => s + r[0]! ** 2 + r[1]! ** 2, 0)
    expect(evaluate(() => Dmml.loss(emb(e), layout, { featureDecay: 0.0005 })).loss).toBeCloseTo(
      (ce(own0, other0) + ce(own1, other1)) / 2 + (0.0005 * sumSq) / 6,
      4
    )
  })
})

describe("centerLoss", () => {
  it("1/(2B) sum |x - c_y|^2 and the alpha update of Wen et al.", () => {
    const x = [
      [1, 0],
      [0, 1],
      [2, 0]
    ]
    const centers = [
      [1, 1],
      [0, 0]
    ]
    expect(evaluate(() => CenterLoss.loss(emb(x), lab([0, 1, 0]), emb(centers))).loss).toBeCloseTo(4 / 6, 6)
    expect(
      evaluate(() => CenterLoss.loss(emb(x), lab([0, 1, 0]), emb(centers), { reduction: "sum" })).loss
    ).toBeCloseTo(2, 6)
    const next = tf.tidy(() => CenterLoss.update(emb(x), lab([0, 1, 0]), emb(centers), 0.5).arraySync())
    // class 0: delta = (2 c0 - x0 - x2) / 3 = [-1/3, 2/3]; class 1: delta = (c1 - x1) / 2 = [0, -1/2]
    expect(next[0]![0]).toBeCloseTo(1 + 1 / 6, 5)
    expect(next[0]![1]).toBeCloseTo(1 - 1 / 3, 5)
    expect(next[1]![0]).toBeCloseTo(0, 6)
    expect(next[1]![1]).toBeCloseTo(0.25, 6)
    expect(() => tf.tidy(() => CenterLoss.loss(emb(x), lab([0, 2, 0]), emb(centers)).loss)).toThrow(
      /label 2 at index 1 is outside \[0, 2\)/
    )
  })
})

describe("hand-computed gradients (catch a wrong reduction or a factor of 2 in the backward pass)", () => {
  const grad = (f: (x: tf.Tensor2D) => tf.Scalar, x = X) =>
    tf.tidy(
      () =>
        tf
          .grad((t: tf.Tensor) => f(t as tf.Tensor2D))(emb(x))
          .arraySync() as Array<Array<number>>
    )
  const expectGrad = (g: Array<Array<number>>, first: Array<number>) => {
    g.forEach((row, i) => {
      expect(row[0]).toBeCloseTo(first[i]!, 5)
      expect(row[1]).toBeCloseTo(0, 6)
    })
  }
  it("tripletBatchHard: only (a=2, p=3, n=1) is active; dL/dx = (d'(2,3) - d'(2,1)) / 4", () => {
    // d(2,3) = |x2 - x3| has gradient -1 at x2, +1 at x3; d(2,1) has +1 at x2, -1 at x1; mean over 4 anchors
    expectGrad(
      grad((x) => TripletBatchHard.loss(x, lab(Y), { margin: 1 }).loss),
      [0, 0.25, -0.5, 0.25, 0]
    )
    expectGrad(
      grad((x) => TripletBatchHard.loss(x, lab(Y), { margin: 1, reduction: "sum" }).loss),
      [0, 1, -2, 1, 0]
    )
  })
  it("tripletBatchAll: the one non-zero triplet over meanNonZero (1) or mean (12)", () => {
    expectGrad(
      grad((x) => TripletBatchAll.loss(x, lab(Y), { margin: 1 }).loss),
      [0, 1, -2, 1, 0]
    )
    expectGrad(
      grad((x) => TripletBatchAll.loss(x, lab(Y), { margin: 1, reduction: "mean" }).loss),
      [0, 1 / 12, -2 / 12, 1 / 12, 0]
    )
  })
  it("contrastive: d^2 on the 4 ordered positive pairs, mean over 20 pairs -> 4 (x_i - x_j) / 20", () => {
    expectGrad(
      grad((x) => Contrastive.loss(x, lab(Y)).loss),
      [-0.2, 0.2, -0.3, 0.3, 0]
    )
  })
  it("centerLoss: (x_i - c_{y_i}) / B, none to the centers' side", () => {
    const x = [
      [1, 0],
      [0, 1],
      [2, 0]
    ]
    const g = tf.tidy(() => {
      const centers = emb([
        [1, 1],
        [0, 0]
      ])
      return tf
        .grad((t: tf.Tensor) => CenterLoss.loss(t as tf.Tensor2D, lab([0, 1, 0]), centers).loss)(emb(x))
        .arraySync() as Array<Array<number>>
    })
    const expected = [
      [0, -1 / 3],
      [0, 1 / 3],
      [1 / 3, -1 / 3]
    ]
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) expect(g[i]![k]).toBeCloseTo(expected[i]![k]!, 6)
  })
  it("marginSampleMining: the batch's hardest positive pair (2,3) and negative pair (1,2), not averaged", () => {
    // L = d(2,3) - d(1,2) + 1: x2 gets -1 - 1, x3 +1, x1 -(-1) = +1
    expectGrad(
      grad((x) => MarginSampleMining.loss(x, lab(Y), { margin: 1 }).loss),
      [0, 1, -2, 1, 0]
    )
  })
})

describe("a batch without any valid triplet gives exactly 0, a zero gradient and the count (every pair loss)", () => {
  const losses = [
    ["tripletBatchHard", TripletBatchHard.loss],
    ["tripletBatchAll", TripletBatchAll.loss],
    ["tripletSoftHard", TripletSoftHard.loss],
    ["circleLoss", CircleLoss.loss],
    ["quadruplet", Quadruplet.loss],
    ["marginSampleMining", MarginSampleMining.loss],
    ["improvedTriplet", ImprovedTriplet.loss]
  ] as const
  it.each(losses)("%s", (_, f) => {
    // three identities with one image each: no anchor has a positive
    const x = [
      [0, 0],
      [1, 1],
      [2, 2]
    ]
    const v = evaluate(() => f(emb(x), lab([0, 1, 2])))
    expect(v.loss).toBe(0)
    expect(v.stats["skipped"]).toBe(3)
    const g = tf.tidy(() =>
      Array.from(
        tf
          .grad((t: tf.Tensor) => f(t as tf.Tensor2D, lab([0, 1, 2])).loss)(emb(x))
          .dataSync()
      )
    )
    expect(g).toEqual([0, 0, 0, 0, 0, 0])
  })
})
