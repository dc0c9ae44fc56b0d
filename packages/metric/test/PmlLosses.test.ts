/**
 * The losses, miners and cross-batch memory ported from pytorch-metric-learning (PML 2.8.1): hand-computed
 * values, loop references written from PML's definitions (`pmlReference.ts`) on random small batches, finite
 * differences, PML's defaults, and no leaks.
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  ArcFace,
  arcFace,
  CosFace,
  CrossBatchMemory,
  FastAp,
  crossBatchMemory,
  Contrastive,
  LiftedStructure,
  MarginLoss,
  marginLoss,
  MultiSimilarity,
  MultiSimilarityMiner,
  multiSimilarityMiner,
  NormalizedSoftmax,
  NPairs,
  NtXent,
  Objective,
  PairMargin,
  ProxyAnchor,
  ProxyNca,
  proxyAnchor,
  SoftTriple,
  SphereFace,
  SupCon,
  TripletMargin,
  tripletMargin
} from "../src/index.ts"
import { makeContext } from "../src/Miner.ts"
import { emb, evaluate, gradientError, lab, type Matrix, num, useCpu } from "./helpers.ts"
import * as R from "./pmlReference.ts"

useCpu()

const close = (actual: number, expected: number, rel = 2e-4) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)))

// two identities on orthogonal axes: cosine 1 within, 0 across; normalised euclidean 0 within, sqrt 2 across
const X = [
  [1, 0],
  [2, 0],
  [0, 1],
  [0, 3]
]
const Y = [0, 0, 1, 1]
const run = (f: (x: tf.Tensor2D, y: tf.Tensor1D) => { loss: tf.Scalar }) => evaluate(() => f(emb(X), lab(Y))).loss

describe("hand-computed values (PML's definitions, default options)", () => {
  it("multiSimilarity: 1/2 log(1 + e^-1) + 1/50 log(1 + 2 e^-25)", () => {
    close(
      run((x, y) => MultiSimilarity.loss(x, y)),
      0.5 * Math.log1p(Math.exp(-1)) + Math.log1p(2 * Math.exp(-25)) / 50,
      1e-5
    )
  })
  it("ntXent: log(1 + 2 e^{-1/0.07}) per positive pair", () => {
    close(
      run((x, y) => NtXent.loss(x, y, { temperature: 0.5 })),
      Math.log1p(2 * Math.exp(-2)),
      1e-5
    )
  })
  it("supCon: log(1 + 2 e^{-1/tau}) per anchor", () => {
    close(
      run((x, y) => SupCon.loss(x, y, { temperature: 0.5 })),
      Math.log1p(2 * Math.exp(-2)),
      1e-5
    )
  })
  it("liftedStructure: [log(4 e^{1 - sqrt 2})]_+^2 / 2", () => {
    close(
      run((x, y) => LiftedStructure.loss(x, y)),
      (Math.log(4) + 1 - Math.SQRT2) ** 2 / 2,
      1e-5
    )
  })
  it("marginLoss: beta 1.5, only negative terms active: 1.5 - sqrt 2 + 0.2", () => {
    const v = evaluate(() => MarginLoss.loss(emb(X), lab(Y), { beta: 1.5 }))
    close(v.loss, 1.5 - Math.SQRT2 + 0.2, 1e-5)
    expect(v.stats).toEqual({ triplets: 8, active: 8, skipped: 0 })
    expect(run((x, y) => MarginLoss.loss(x, y))).toBe(0) // default beta 1.2: every term inactive
  })
  it("nPairs: two pairs, cosine logits [[1, 0], [0, 1]]: log(1 + e^-1)", () => {
    close(
      run((x, y) => NPairs.loss(x, y)),
      Math.log1p(Math.exp(-1)),
      1e-5
    )
  })
  it("cosFace and arcFace with the classes on the axes", () => {
    const w = tf.tensor2d([
      [1, 0],
      [0, 1]
    ])
    close(evaluate(() => CosFace.loss(emb(X), lab(Y), w, { scale: 1 })).loss, Math.log1p(Math.exp(-(1 - 0.35))), 1e-5)
    const m = (28.6 * Math.PI) / 180
    // theta = 0 (up to the clamp): target logit cos(m)
    close(evaluate(() => ArcFace.loss(emb(X), lab(Y), w, { scale: 1 })).loss, Math.log1p(Math.exp(-Math.cos(m))), 5e-4)
    w.dispose()
  })
  it("fastAp: 1 - AP of the soft histogram; 0 for a perfect ranking, 2/3 with a tied negative in front", () => {
    expect(run((x, y) => FastAp.loss(x, y))).toBeCloseTo(0, 6)
    // anchor [1, 0]: positive at d^2 = 2 (bin 5), negatives at 0 (bin 0) and 2 (bin 5): AP = 1 * 1 / 3
    close(
      evaluate(() =>
        FastAp.loss(
          emb([
            [1, 0],
            [0, 1],
            [1, 0],
            [0, 1]
          ]),
          lab([0, 0, 1, 1])
        )
      ).loss,
      2 / 3,
      1e-5
    )
  })
  it("sphereFace with the classes on the axes: theta = 0, logits |x| (target) and 0", () => {
    const w = tf.tensor2d([
      [1, 0],
      [0, 1]
    ])
    const expected = [1, 2, 1, 3].reduce((s, n) => s + Math.log1p(Math.exp(-n)), 0) / 4
    close(evaluate(() => SphereFace.loss(emb(X), lab(Y), w)).loss, expected, 1e-5)
    // psi is monotonically decreasing in theta over [0, pi] (the point of the -2k shift)
    const psi = tf.tidy(() =>
      Array.from(
        SphereFace.psi(tf.tensor1d(Array.from({ length: 41 }, (_, i) => Math.cos((Math.PI * i) / 40))), 4).dataSync()
      )
    )
    for (let i = 1; i < psi.length; i++) expect(psi[i]!).toBeLessThan(psi[i - 1]! + 1e-5)
    w.dispose()
  })
  it("proxyAnchor with the proxies on the axes", () => {
    const p = tf.tensor2d([
      [1, 0],
      [0, 1]
    ])
    // per proxy: pos log(1 + 2 e^{-32 (1 - 0.1)}), neg log(1 + 2 e^{32 (0 + 0.1)})
    close(
      evaluate(() => ProxyAnchor.loss(emb(X), lab(Y), p)).loss,
      Math.log1p(2 * Math.exp(-28.8)) + Math.log1p(2 * Math.exp(3.2)),
      1e-5
    )
    p.dispose()
  })
})

const batch = fc
  .record({
    rows: fc.array(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 3, maxLength: 3 }), {
      minLength: 4,
      maxLength: 7
    }),
    labels: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 7, maxLength: 7 })
  })
  .map(({ rows, labels }) => ({
    x: rows.map((r, i) => r.map((v, j) => v / 3 + 0.11 * i + 0.07 * j + 0.05)),
    y: labels.slice(0, rows.length)
  }))

const params = (rows: number, cols: number, seed: number): Matrix =>
  Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => Math.sin(seed + 1.7 * i + 0.9 * j + 0.3 * i * j))
  )

describe("loop references of PML's definitions on random batches", () => {
  const pairCases: ReadonlyArray<
    readonly [
      string,
      (x: tf.Tensor2D, y: tf.Tensor1D) => { loss: tf.Scalar },
      (x: Matrix, y: ReadonlyArray<number>) => number
    ]
  > = [
    ["multiSimilarity", (x, y) => MultiSimilarity.loss(x, y), R.refMultiSimilarity],
    ["ntXent", (x, y) => NtXent.loss(x, y), R.refNtXent],
    ["supCon", (x, y) => SupCon.loss(x, y), R.refSupCon],
    ["liftedStructure", (x, y) => LiftedStructure.loss(x, y), R.refLifted],
    ["marginLoss", (x, y) => MarginLoss.loss(x, y), R.refMargin],
    ["nPairs", (x, y) => NPairs.loss(x, y), R.refNPairs],
    ["fastAp", (x, y) => FastAp.loss(x, y), R.refFastAp]
  ]
  it.each(pairCases)("%s", (_name, f, ref) =>
    fc.assert(
      fc.property(batch, ({ x, y }) => {
        const expected = ref(x, y)
        fc.pre(!Number.isNaN(expected))
        close(evaluate(() => f(emb(x), lab(y))).loss, expected, 5e-4)
      }),
      { numRuns: 25 }
    )
  )

  it("classifier and proxy losses", () =>
    fc.assert(
      fc.property(batch, fc.integer({ min: 0, max: 100 }), ({ x, y }, seed) => {
        const w = params(3, 3, seed) // [D, C]
        const wt = tf.tensor2d(w as Array<Array<number>>)
        const p = params(3, 3, seed + 1) // [C, D]
        const pt = tf.tensor2d(p as Array<Array<number>>)
        const st = params(3, 6, seed + 2) // [D, C*K], K = 2
        const stt = tf.tensor2d(st as Array<Array<number>>)
        close(evaluate(() => ArcFace.loss(emb(x), lab(y), wt)).loss, R.refArcFace(x, y, w), 5e-4)
        close(evaluate(() => CosFace.loss(emb(x), lab(y), wt)).loss, R.refCosFace(x, y, w), 5e-4)
        close(evaluate(() => NormalizedSoftmax.loss(emb(x), lab(y), wt)).loss, R.refNormalizedSoftmax(x, y, w), 5e-4)
        close(evaluate(() => ProxyNca.loss(emb(x), lab(y), pt)).loss, R.refProxyNca(x, y, p), 5e-4)
        close(evaluate(() => ProxyAnchor.loss(emb(x), lab(y), pt)).loss, R.refProxyAnchor(x, y, p), 5e-4)
        close(
          evaluate(() => SoftTriple.loss(emb(x), lab(y), stt, { classes: 3 })).loss,
          R.refSoftTriple(x, y, st, 3),
          5e-4
        )
        close(evaluate(() => SphereFace.loss(emb(x), lab(y), wt)).loss, R.refSphereFace(x, y, w), 5e-4)
        close(
          evaluate(() => SphereFace.loss(emb(x), lab(y), wt, { margin: 3, scale: 2 })).loss,
          R.refSphereFace(x, y, w, 3, 2),
          5e-4
        )
        tf.dispose([wt, pt, stt])
      }),
      { numRuns: 15 }
    ))
})

describe("gradients match finite differences (moderate scales)", () => {
  const x = [
    [0.3, -0.2, 0.5],
    [0.1, 0.4, -0.3],
    [-0.5, 0.2, 0.1],
    [0.2, -0.4, -0.2],
    [0.6, 0.1, 0.3]
  ]
  const y = lab([0, 0, 1, 1, 2])
  const w = tf.tensor2d([
    [0.5, -0.3, 0.2],
    [0.1, 0.7, -0.4],
    [-0.2, 0.3, 0.6]
  ])
  const fs: ReadonlyArray<readonly [string, (e: tf.Tensor2D) => tf.Scalar]> = [
    ["multiSimilarity", (e) => MultiSimilarity.loss(e, y, { beta: 5 }).loss],
    ["ntXent", (e) => NtXent.loss(e, y, { temperature: 0.5 }).loss],
    ["supCon", (e) => SupCon.loss(e, y, { temperature: 0.5 }).loss],
    ["liftedStructure", (e) => LiftedStructure.loss(e, y).loss],
    ["marginLoss", (e) => MarginLoss.loss(e, y, { beta: 1 }).loss],
    ["nPairs", (e) => NPairs.loss(e, y).loss],
    ["fastAp", (e) => FastAp.loss(e, y).loss],
    ["arcFace", (e) => ArcFace.loss(e, y, w, { scale: 2 }).loss],
    ["cosFace", (e) => CosFace.loss(e, y, w, { scale: 2 }).loss],
    ["sphereFace", (e) => SphereFace.loss(e, y, w).loss],
    ["proxyAnchor", (e) => ProxyAnchor.loss(e, y, tf.transpose(w) as tf.Tensor2D, { alpha: 2 }).loss]
  ]
  it.each(fs)("%s", (_n, f) => expect(gradientError(f, x, 1e-3)).toBeLessThan(2e-2))
})

describe("PML defaults", () => {
  it("are PML 2.8.1's", () => {
    expect(MultiSimilarity.decode({})).toMatchObject({
      alpha: 2,
      beta: 50,
      base: 0.5,
      distance: "cosineSimilarity",
      normalize: true
    })
    expect(NtXent.decode({})).toMatchObject({ temperature: 0.07, distance: "cosineSimilarity" })
    expect(SupCon.decode({})).toMatchObject({ temperature: 0.1 })
    expect(LiftedStructure.decode({})).toMatchObject({
      negativeMargin: 1,
      positiveMargin: 0,
      distance: "lp",
      normalize: true,
      power: "1"
    })
    expect(MarginLoss.decode({})).toMatchObject({ margin: 0.2, beta: 1.2, nu: 0, learnBeta: false })
    expect(NPairs.decode({})).toMatchObject({ distance: "dotProductSimilarity", normalize: true })
    expect(FastAp.decode({})).toMatchObject({ bins: 10, power: "2" })
    expect(ArcFace.decode({ classes: 2, dimension: 3 })).toMatchObject({ margin: 28.6, scale: 64 })
    expect(CosFace.decode({ classes: 2, dimension: 3 })).toMatchObject({ margin: 0.35, scale: 64 })
    expect(NormalizedSoftmax.decode({ classes: 2, dimension: 3 })).toMatchObject({ temperature: 0.05 })
    expect(ProxyNca.decode({ classes: 2, dimension: 3 })).toMatchObject({ softmaxScale: 1 })
    expect(ProxyAnchor.decode({ classes: 2, dimension: 3 })).toMatchObject({ margin: 0.1, alpha: 32 })
    expect(SoftTriple.decode({ classes: 2, dimension: 3 })).toMatchObject({
      centersPerClass: 10,
      lambda: 20,
      gamma: 0.1,
      margin: 0.01
    })
    expect(SphereFace.decode({ classes: 2, dimension: 3 })).toMatchObject({ margin: 4, scale: 1 })
    expect(CrossBatchMemory.decode({})).toEqual({ memorySize: 1024 })
  })
  it("bad options and labels are typed errors naming the field", () => {
    expect(() => MultiSimilarity.loss(emb(X), lab(Y), { alpha: -1 })).toThrow(/multiSimilarity options/)
    expect(() => CosFace.loss(emb(X), lab([0, 0, 1, 5]), tf.ones([2, 2]))).toThrow(
      /label 5 at index 3 is outside \[0, 2\)/
    )
    expect(() => SoftTriple.decode({ classes: 2, dimension: 3, centersPerClass: 0 })).toThrow(/softTriple options/)
  })
})

describe("miners", () => {
  // 1-D distances from anchor 0: positives at 1 and 3, negatives at 2 and 4
  const ctx = (values: ReadonlyArray<number>, inverted = false) => {
    const c = makeContext({
      values: Float32Array.from(values),
      rows: 1,
      cols: 5,
      labels: [0],
      refLabels: [0, 0, 1, 0, 1],
      sameItems: true,
      policy: { anchorAsPositive: false, crossCameraPositives: false, refSameItems: false }
    })
    return inverted ? { ...c, inverted } : c
  }
  it("multiSimilarityMiner (distances): positives farther than the closest negative - eps, negatives closer than the farthest positive + eps", () => {
    const m = MultiSimilarityMiner.mine(ctx([0, 0.5, 1.0, 0.95, 2]), { epsilon: 0.1 })
    // closest negative 1.0: keep positives with d + 0.1 > 1.0 -> ref 3 (0.95); farthest positive 0.95: negatives with d - 0.1 < 0.95 -> ref 2
    expect(Array.from(m.positiveRefs)).toEqual([3])
    expect(Array.from(m.negativeRefs)).toEqual([2])
  })
  it("multiSimilarityMiner (similarities) mirrors it", () => {
    const m = MultiSimilarityMiner.mine(ctx([1, 0.5, 0.0, 0.05, -1], true), { epsilon: 0.1 })
    expect(Array.from(m.positiveRefs)).toEqual([3])
    expect(Array.from(m.negativeRefs)).toEqual([2])
  })
  it("pairMargin keeps far positives and close negatives", () => {
    const m = PairMargin.mine(ctx([0, 0.1, 0.5, 0.9, 1.2]), { positiveMargin: 0.2, negativeMargin: 0.8 })
    expect(Array.from(m.positiveRefs)).toEqual([3])
    expect(Array.from(m.negativeRefs)).toEqual([2])
  })
  it("tripletMargin types partition the triplets: easy + all = every triplet, hard + semihard = all", () => {
    // triplets (p, n): (1,2) t=0.4, (1,4) t=1.1, (3,2) t=-0.4, (3,4) t=0.3
    const c = ctx([0, 0.1, 0.5, 0.9, 1.2])
    const list = (type: "all" | "hard" | "semihard" | "easy") => {
      const t = TripletMargin.mine(c, { margin: 0.35, type })
      return Array.from(t.positives, (p, i) => `${p},${t.negatives[i]}`)
    }
    expect(list("all")).toEqual(["3,2", "3,4"])
    expect(list("hard")).toEqual(["3,2"])
    expect(list("semihard")).toEqual(["3,4"])
    expect(list("easy")).toEqual(["1,2", "1,4"])
  })
  it("a miner feeds the losses", () => {
    // cosines are 1 within and 0 across identities: no pair is within eps = 0.1 of the other kind, none is mined
    const none = evaluate(() => MultiSimilarity.loss(emb(X), lab(Y), { miner: multiSimilarityMiner() }))
    expect(none).toEqual({ loss: 0, stats: { positivePairs: 0, negativePairs: 0 } })
    // with eps = 1.5 every pair is mined: the plain loss
    close(
      evaluate(() => MultiSimilarity.loss(emb(X), lab(Y), { miner: multiSimilarityMiner({ epsilon: 1.5 }) })).loss,
      run((x, y) => MultiSimilarity.loss(x, y)),
      1e-6
    )
    const w = evaluate(() => MarginLoss.loss(emb(X), lab(Y), { beta: 1.5, miner: tripletMargin({ margin: 10 }) }))
    close(w.loss, 1.5 - Math.SQRT2 + 0.2, 1e-5)
  })
})

describe("cross-batch memory", () => {
  it("references are the batch then the most recent older entries; the oldest leave first", () => {
    const m = CrossBatchMemory.unsafeMake(5)
    tf.tidy(() => {
      m.enqueue(emb([[1], [2]]), lab([1, 2]))
      m.enqueue(emb([[3], [4]]), lab([3, 4]))
      m.enqueue(emb([[5], [6]]), lab([5, 6]))
      expect(m.size()).toBe(5)
      const r = m.references(emb([[5], [6]]), lab([5, 6]))
      expect(Array.from(r.embeddings.dataSync())).toEqual([5, 6, 4, 3, 2])
      expect(Array.from(r.labels!.dataSync())).toEqual([5, 6, 4, 3, 2])
      expect(r.sameItems).toBe(true)
    })
  })
  it("with a memory holding only the batch, a wrapped loss equals the plain loss", () => {
    const m = CrossBatchMemory.unsafeMake(16)
    const v = tf.tidy(() => {
      const x = emb(X)
      const y = lab(Y)
      m.enqueue(x, y)
      return [
        num(Contrastive.loss(x, y, {}, { references: m.references(x, y) }).loss),
        num(Contrastive.loss(x, y).loss)
      ]
    })
    close(v[0]!, v[1]!, 1e-6)
  })
  it("the Term enqueues once per step and uses past batches; its memory is released with its scope", async () => {
    const before = tf.memory().numTensors
    const values = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const objective = yield* Objective.make(
            crossBatchMemory(
              { memorySize: 8 },
              { name: "multiSimilarity", loss: (e, l, x) => MultiSimilarity.loss(e, l, {}, x) }
            )
          )
          const step = (rows: Matrix, labels: ReadonlyArray<number>, index: number) =>
            tf.tidy(
              () =>
                Objective.values(
                  objective.compute({
                    outputs: { features: emb(rows) },
                    labels: lab(labels),
                    inputs: tf.zeros([1]),
                    index
                  })
                ).total!
            )
          const first = step(
            [
              [1, 0],
              [0, 1]
            ],
            [0, 1],
            0
          ) // no positive pair in the batch alone
          const second = step(
            [
              [0.9, 0.1],
              [0.1, 0.9]
            ],
            [0, 1],
            1
          ) // positives from the first batch
          return [first, second]
        })
      )
    )
    expect(values[1]!).toBeGreaterThan(values[0]!)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe("terms with parameters of their own", () => {
  it("list their variables in the Objective, get gradients, and are disposed with the scope (no leaks)", async () => {
    const before = tf.memory().numTensors
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const objective = yield* Objective.make(
            arcFace({ classes: 3, dimension: 2 }),
            proxyAnchor({ classes: 3, dimension: 2 }),
            marginLoss({ learnBeta: true, nu: 0.1 })
          )
          expect(objective.variables?.map((v) => v.shape)).toEqual([
            [2, 3],
            [3, 2],
            [1, 1]
          ])
          const norms = tf.tidy(() => {
            const { grads } = tf.variableGrads(
              () =>
                objective.compute({
                  outputs: {
                    features: emb([
                      [1, 0.2],
                      [0.8, 0.1],
                      [0, 1],
                      [0.2, 0.9],
                      [-1, 0],
                      [-0.9, -0.2]
                    ])
                  },
                  labels: lab([0, 0, 1, 1, 2, 2]),
                  inputs: tf.zeros([1]),
                  index: 0
                }).total,
              [...objective.variables!]
            )
            return Object.values(grads).map((g) => num(tf.norm(g)))
          })
          expect(norms.every((n) => n > 0)).toBe(true)
        })
      )
    )
    expect(tf.memory().numTensors).toBe(before)
  })
  it("same seed, same initial proxies", async () => {
    const init = () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const o = yield* Objective.make(proxyAnchor({ classes: 4, dimension: 3 }))
            return Array.from(o.variables![0]!.dataSync())
          })
        )
      )
    expect(await init()).toEqual(await init())
  })
  it("the loss math leaks no tensors", () => {
    const w = tf.tensor2d([
      [1, 0],
      [0, 1]
    ])
    const before = tf.memory().numTensors
    for (const f of [
      () => MultiSimilarity.loss(emb(X), lab(Y)),
      () => NtXent.loss(emb(X), lab(Y)),
      () => SupCon.loss(emb(X), lab(Y)),
      () => LiftedStructure.loss(emb(X), lab(Y)),
      () => MarginLoss.loss(emb(X), lab(Y)),
      () => NPairs.loss(emb(X), lab(Y)),
      () => ArcFace.loss(emb(X), lab(Y), w),
      () => SoftTriple.loss(emb(X), lab(Y), w, { classes: 2 })
    ]) {
      tf.tidy(() => {
        f()
      })
    }
    expect(tf.memory().numTensors).toBe(before)
    w.dispose()
  })
})

describe("the catalog", () => {
  it("builds every named loss; class losses take classes and dimension from the context; errors are typed", async () => {
    const { Catalog } = await import("../src/index.ts")
    for (const name of Catalog.TermName.literals) {
      const t = Catalog.term(name, { weight: 0.5 }, { classes: 3, dimension: 2 })
      expect(t.name).toBe(name)
      expect(t.weight).toBe(0.5)
    }
    expect(Catalog.term("arcFace", {}, { classes: 3, dimension: 2 }).describe).toBe(
      "arcFace(classes=3, dimension=2, margin=28.6, scale=64)"
    )
    expect(() => Catalog.term("arcFace", {})).toThrow(/arcFace: needs classes and dimension/)
    expect(() => Catalog.term("multiSimilarity", { alpha: "x" })).toThrow(/multiSimilarity options/)
  })
})
