/**
 * fast-check properties of every loss: agreement with plain-loop references, invariance to permuting the batch,
 * non-negativity, monotonicity in the margin, soft-hard -> batch-hard, finite-difference gradients, no NaN for
 * duplicate or zero embeddings, and no tensor leaks.
 */
import { noLeaks } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  CenterLoss,
  CircleLoss,
  Contrastive,
  CrossEntropyLabelSmooth,
  Dmml,
  ImprovedTriplet,
  type LossValue,
  MarginSampleMining,
  ProtoSoftmax,
  Quadruplet,
  TripletBatchAll,
  TripletBatchHard,
  TripletSoftHard
} from "../src/index.ts"
import {
  emb,
  evaluate,
  gradientError,
  lab,
  type Matrix,
  num,
  permutation,
  pkBatch,
  refBatchAll,
  refBatchHard,
  refCircle,
  refSoftHard,
  useCpu
} from "./helpers.ts"

useCpu()

let centerValues: tf.Tensor2D | undefined
const centers = (): tf.Tensor2D =>
  (centerValues ??= tf.keep(
    tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
      [0.5, 0.5, 0.5]
    ])
  ))

type Case = {
  readonly name: string
  readonly f: (x: tf.Tensor2D, y: tf.Tensor1D) => LossValue
  readonly nonNegative: boolean
}

// labels are 0..P-1; for episodic losses the PK layout (3 ways x 2) is read as 1 shot + 1 query per way
const episode = { ways: 3, shots: 1, queries: 1 }
const cases: ReadonlyArray<Case> = [
  { name: "tripletBatchHard", f: (x, y) => TripletBatchHard.loss(x, y), nonNegative: true },
  {
    name: "tripletBatchHard (soft margin)",
    f: (x, y) => TripletBatchHard.loss(x, y, { softMargin: true }),
    nonNegative: true
  },
  { name: "tripletBatchAll", f: (x, y) => TripletBatchAll.loss(x, y, { margin: 0.5 }), nonNegative: true },
  {
    name: "tripletBatchAll (soft margin)",
    f: (x, y) => TripletBatchAll.loss(x, y, { softMargin: true, reduction: "mean" }),
    nonNegative: true
  },
  { name: "tripletSoftHard", f: (x, y) => TripletSoftHard.loss(x, y), nonNegative: true },
  { name: "contrastive", f: (x, y) => Contrastive.loss(x, y, { negativeMargin: 2 }), nonNegative: true },
  { name: "improvedTriplet", f: (x, y) => ImprovedTriplet.loss(x, y), nonNegative: false },
  { name: "quadruplet", f: (x, y) => Quadruplet.loss(x, y), nonNegative: true },
  { name: "marginSampleMining", f: (x, y) => MarginSampleMining.loss(x, y, { margin: 2 }), nonNegative: true },
  { name: "circleLoss", f: (x, y) => CircleLoss.loss(x, y, { gamma: 8, detachWeights: false }), nonNegative: true },
  { name: "centerLoss", f: (x, y) => CenterLoss.loss(x, y, centers()), nonNegative: true },
  { name: "crossEntropyLabelSmooth", f: (x, y) => CrossEntropyLabelSmooth.loss(x, y), nonNegative: true }
]

// Losses whose value depends on the order of the batch (episode layout): only gradients and NaN checks.
const episodic: ReadonlyArray<Case> = [
  { name: "protoSoftmax", f: (x) => ProtoSoftmax.loss(x, episode), nonNegative: true },
  { name: "dmml (hard mining)", f: (x) => Dmml.loss(x, episode), nonNegative: true },
  {
    name: "dmml (center support)",
    f: (x) => Dmml.loss(x, episode, { mode: "centerSupport", margin: 0.4 }),
    nonNegative: true
  }
]

// 3 identities x 2 images of 3-d embeddings
const batch = pkBatch(3, 2, 3)
const toEpisode = (x: Matrix): Matrix => [x[0]!, x[2]!, x[4]!, x[1]!, x[3]!, x[5]!]
const loss = (c: Case, x: Matrix, y: ReadonlyArray<number>) => evaluate(() => c.f(emb(x), lab(y))).loss

describe("losses agree with plain-loop references", () => {
  it("batch-hard, batch-all, soft-hard and circle", () =>
    fc.assert(
      fc.property(batch, fc.double({ min: 0, max: 2, noNaN: true }), ({ x, y }, margin) => {
        expect(loss({ ...cases[0]!, f: (a, b) => TripletBatchHard.loss(a, b, { margin }) }, x, y)).toBeCloseTo(
          refBatchHard(x, y, margin),
          4
        )
        expect(
          loss({ ...cases[0]!, f: (a, b) => TripletBatchHard.loss(a, b, { softMargin: true }) }, x, y)
        ).toBeCloseTo(refBatchHard(x, y, 0, true), 4)
        const [mean, meanNonZero] = refBatchAll(x, y, margin)
        expect(
          loss({ ...cases[0]!, f: (a, b) => TripletBatchAll.loss(a, b, { margin, reduction: "mean" }) }, x, y)
        ).toBeCloseTo(mean, 4)
        expect(loss({ ...cases[0]!, f: (a, b) => TripletBatchAll.loss(a, b, { margin }) }, x, y)).toBeCloseTo(
          meanNonZero,
          4
        )
        expect(
          loss(
            { ...cases[0]!, f: (a, b) => TripletSoftHard.loss(a, b, { temperature: 0.7, margin, softMargin: false }) },
            x,
            y
          )
        ).toBeCloseTo(refSoftHard(x, y, 0.7, margin, false), 4)
        expect(
          loss({ ...cases[0]!, f: (a, b) => CircleLoss.loss(a, b, { gamma: 32, margin: 0.25 }) }, x, y)
        ).toBeCloseTo(refCircle(x, y, 0.25, 32), 3)
      }),
      { numRuns: 30 }
    ))
})

describe.each(cases)("$name", (c) => {
  it("is invariant to permuting the batch", () =>
    fc.assert(
      fc.property(batch, permutation(6), ({ x, y }, perm) => {
        const a = loss(c, x, y)
        const b = loss(
          c,
          perm.map((i) => x[i]!),
          perm.map((i) => y[i]!)
        )
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a)))
      }),
      { numRuns: 20 }
    ))

  if (c.nonNegative) {
    it("is non-negative", () =>
      fc.assert(
        fc.property(batch, ({ x, y }) => loss(c, x, y) >= 0),
        { numRuns: 20 }
      ))
  }

  it("has finite values and finite gradients for duplicate and zero embeddings", () => {
    for (const x of [
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0]
      ],
      [
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [0.5, 0, 1],
        [0.5, 0, 1],
        [1, 2, 3]
      ]
    ]) {
      const y = [0, 0, 1, 1, 2, 2]
      expect(Number.isFinite(loss(c, x, y))).toBe(true)
      const g = tf.tidy(() =>
        tf
          .grad((t: tf.Tensor) => c.f(t as tf.Tensor2D, lab(y)).loss)(emb(x))
          .dataSync()
      )
      expect(Array.from(g).every(Number.isFinite)).toBe(true)
    }
  })

  it("matches finite differences (float32)", () =>
    fc.assert(
      fc.property(batch, ({ x, y }) => {
        const err = tf.tidy(() => gradientError((t) => c.f(t, lab(y)).loss, x, 1e-4))
        expect(err).toBeLessThan(3e-2)
      }),
      { numRuns: 5 }
    ))

  it("leaks no tensors", () => {
    const x = emb([
      [0, 1, 0],
      [0.2, 1, 0],
      [1, 0, 0],
      [1, 0.3, 0],
      [0, 0, 1],
      [0.1, 0, 1]
    ])
    const y = lab([0, 0, 1, 1, 2, 2])
    noLeaks(() => {
      const v = c.f(x, y)
      tf.dispose([v.loss, ...Object.values(v.stats)])
    }, c.name)
    noLeaks(() => {
      const g = tf.grad((t: tf.Tensor) => c.f(t as tf.Tensor2D, y).loss)(x)
      g.dispose()
    }, `${c.name} gradient`)
    tf.dispose([x, y])
  })
})

describe.each(episodic)("$name", (c) => {
  it("is non-negative, finite for zero embeddings, and matches finite differences", () =>
    fc.assert(
      fc.property(batch, ({ x, y }) => {
        const e = toEpisode(x)
        expect(loss(c, e, y)).toBeGreaterThanOrEqual(0)
        expect(tf.tidy(() => gradientError((t) => c.f(t, lab(y)).loss, e, 1e-4))).toBeLessThan(2e-2)
      }),
      { numRuns: 5 }
    ))
  it("finite for zero and duplicate embeddings; leaks no tensors", () => {
    const zeros = Array.from({ length: 6 }, () => [0, 0, 0])
    const g = tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => c.f(t as tf.Tensor2D, lab([0, 1, 2, 0, 1, 2])).loss)(emb(zeros))
        .dataSync()
    )
    expect(Array.from(g).every(Number.isFinite)).toBe(true)
    const x = emb([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0.2, 1, 0],
      [1, 0.3, 0],
      [0.1, 0, 1]
    ])
    const y = lab([0, 1, 2, 0, 1, 2])
    noLeaks(() => {
      const v = c.f(x, y)
      tf.dispose([v.loss, ...Object.values(v.stats)])
    })
    tf.dispose([x, y])
  })
})

describe("monotonicity in the margin", () => {
  const margins = fc
    .tuple(fc.double({ min: 0, max: 3, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }))
    .map(([a, b]): readonly [number, number] => (a <= b ? [a, b] : [b, a]))
  const monotone: ReadonlyArray<readonly [string, (x: tf.Tensor2D, y: tf.Tensor1D, m: number) => LossValue]> = [
    ["tripletBatchHard", (x, y, m) => TripletBatchHard.loss(x, y, { margin: m })],
    ["tripletBatchAll (mean)", (x, y, m) => TripletBatchAll.loss(x, y, { margin: m, reduction: "mean" })],
    ["tripletSoftHard (hinge)", (x, y, m) => TripletSoftHard.loss(x, y, { margin: m, softMargin: false })],
    ["contrastive (negative margin)", (x, y, m) => Contrastive.loss(x, y, { negativeMargin: m })],
    ["quadruplet (alpha1)", (x, y, m) => Quadruplet.loss(x, y, { alpha1: m })],
    ["marginSampleMining", (x, y, m) => MarginSampleMining.loss(x, y, { margin: m })]
  ]
  it.each(monotone)("%s does not decrease when the margin grows", (_, f) =>
    fc.assert(
      fc.property(batch, margins, ({ x, y }, [m1, m2]) => {
        const a = evaluate(() => f(emb(x), lab(y), m1)).loss
        const b = evaluate(() => f(emb(x), lab(y), m2)).loss
        expect(b).toBeGreaterThanOrEqual(a - 1e-5 * Math.max(1, Math.abs(a)))
      }),
      { numRuns: 25 }
    )
  )
  it("circleLoss does not increase when its relaxation margin m grows (logits are gamma (s^2 - m^2) and gamma ((1 - s)^2 - m^2))", () =>
    fc.assert(
      fc.property(batch, margins, ({ x, y }, [m1, m2]) => {
        const a = evaluate(() => CircleLoss.loss(emb(x), lab(y), { margin: m1 / 3, gamma: 8 })).loss
        const b = evaluate(() => CircleLoss.loss(emb(x), lab(y), { margin: m2 / 3, gamma: 8 })).loss
        expect(b).toBeLessThanOrEqual(a + 1e-5 * Math.max(1, Math.abs(a)))
      }),
      { numRuns: 25 }
    ))
})

describe("cosine-based losses are invariant to scaling each embedding", () => {
  const scaled: ReadonlyArray<readonly [string, (x: tf.Tensor2D, y: tf.Tensor1D) => LossValue]> = [
    ["tripletBatchHard (cosine)", (x, y) => TripletBatchHard.loss(x, y, { distance: "cosine" })],
    ["tripletBatchAll (cosine)", (x, y) => TripletBatchAll.loss(x, y, { distance: "cosine", margin: 0.5 })],
    ["tripletBatchHard (normalized euclidean)", (x, y) => TripletBatchHard.loss(x, y, { normalize: true })],
    ["circleLoss", (x, y) => CircleLoss.loss(x, y, { gamma: 32 })],
    ["contrastive (cosine)", (x, y) => Contrastive.loss(x, y, { distance: "cosine", negativeMargin: 0.8 })]
  ]
  it.each(scaled)("%s", (_, f) =>
    fc.assert(
      fc.property(
        batch,
        fc.array(fc.double({ min: 0.05, max: 20, noNaN: true }), { minLength: 6, maxLength: 6 }),
        ({ x, y }, scales) => {
          const a = evaluate(() => f(emb(x), lab(y))).loss
          const b = evaluate(() => f(emb(x.map((r, i) => r.map((v) => v * scales[i]!))), lab(y))).loss
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a)))
        }
      ),
      { numRuns: 20 }
    )
  )
})

describe("soft-hard -> batch-hard", () => {
  it("the soft-hard triplet tends to the batch-hard triplet as the temperature goes to 0", () =>
    fc.assert(
      fc.property(batch, ({ x, y }) => {
        const hard = evaluate(() => TripletBatchHard.loss(emb(x), lab(y), { margin: 0.3 })).loss
        const gaps = [1, 0.1, 0.01, 0.0001].map((t) =>
          Math.abs(
            evaluate(() => TripletSoftHard.loss(emb(x), lab(y), { temperature: t, margin: 0.3, softMargin: false }))
              .loss - hard
          )
        )
        for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeLessThanOrEqual(gaps[i - 1]! + 1e-5)
        expect(gaps[gaps.length - 1]!).toBeLessThan(1e-4)
      }),
      { numRuns: 20 }
    ))
})

describe("Schema defaults", () => {
  it("are the documented paper defaults", () => {
    expect(TripletBatchHard.decode({})).toMatchObject({
      margin: 0.3,
      softMargin: false,
      reduction: "mean",
      distance: "euclidean",
      anchorAsPositive: false
    })
    expect(TripletBatchAll.decode({}).reduction).toBe("meanNonZero")
    expect(CrossEntropyLabelSmooth.decode({})).toEqual({ epsilon: 0.1, offTarget: "uniform" })
    expect(CircleLoss.decode({})).toMatchObject({ margin: 0.25, gamma: 128 })
    expect(ImprovedTriplet.decode({})).toMatchObject({
      tau1: -1,
      tau2: 0.01,
      beta: 0.002,
      distance: "squaredEuclidean"
    })
    expect(Quadruplet.decode({})).toMatchObject({ alpha1: 1, alpha2: 0.5 })
    expect(ProtoSoftmax.decode({})).toMatchObject({ temperature: 1, distance: "squaredEuclidean" })
    expect(Dmml.decode({})).toMatchObject({ mode: "hardMining", margin: 0, distance: "euclidean" })
    expect(CenterLoss.decode({ classes: 3, dimension: 2 })).toMatchObject({ alpha: 0.5, reduction: "mean" })
    expect(num(tf.tidy(() => tf.scalar(1)))).toBe(1)
  })
})
