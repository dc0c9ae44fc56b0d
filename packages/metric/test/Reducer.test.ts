/**
 * PML's reducers (PML 2.8.1 `reducers/*.py`) as injectable objects: values computed by PML's definitions by hand
 * (checked with torch on PML's code paths: `mean`, `sum`, threshold filters, `weights[labels[indices]]`, the
 * B x B per-anchor table), loop references on random items (fast-check), the zero-loss conventions, typed
 * errors, the losses that take a reducer, and no leaks.
 */
import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Contrastive, MultiSimilarity, Reducer, SupCon, TripletBatchHard } from "../src/index.ts"
import { emb, l2, lab, type Matrix, num, pkBatch, relu, useCpu } from "./helpers.ts"

useCpu()

const losses = [0, 0.5, 2, 0, 1.5]
const labels = Int32Array.from([0, 1, 0, 2, 1])
const element = (values: ReadonlyArray<number>) => ({
  kind: "element" as const,
  losses: tf.tensor1d(values as Array<number>),
  indices: Int32Array.from(values, (_, i) => i)
})
const batchOf = (b: number, l: Int32Array = labels) => ({ embeddings: tf.ones([b, 2]) as tf.Tensor2D, labels: l })
/** Reduces inside a tidy and returns the number. */
const value = (r: Reducer.Reducer, items: () => Reducer.LossItems, b = 5, l: Int32Array = labels): number =>
  tf.tidy(() => num(r.reduce(items(), batchOf(b, l))))

describe("PML reducers by hand (PML 2.8.1)", () => {
  it("mean, sum, avgNonZero and threshold on [0, 0.5, 2, 0, 1.5]", () => {
    expect(value(Reducer.mean(), () => element(losses))).toBeCloseTo(0.8, 6)
    expect(value(Reducer.sum(), () => element(losses))).toBeCloseTo(4, 6)
    // AvgNonZeroReducer = ThresholdReducer(low=0): (0.5 + 2 + 1.5) / 3
    expect(value(Reducer.avgNonZero(), () => element(losses))).toBeCloseTo(4 / 3, 6)
    // strict bounds: 0.5 and 1.5 pass 0.4 < l < 1.8; 2 does not
    expect(value(Reducer.threshold({ low: 0.4, high: 1.8 }), () => element(losses))).toBeCloseTo(1, 6)
    // high only: 0, 0.5, 0 pass l < 1
    expect(value(Reducer.threshold({ high: 1 }), () => element(losses))).toBeCloseTo(1 / 6, 6)
    // a strict bound: l = 2 with high 2 is dropped
    expect(value(Reducer.threshold({ low: 1.9, high: 2 }), () => element(losses))).toBe(0)
  })

  it("classWeighted reads the item's label (element) or its anchor's (pairs, triplets)", () => {
    const weighted = Reducer.classWeighted([1, 2, 0.5])
    // (0*1 + 0.5*2 + 2*1 + 0*0.5 + 1.5*2) / 5
    expect(value(weighted, () => element(losses))).toBeCloseTo(1.2, 6)
    // anchors 4, 1, 1 have label 1 (weight 2): (0.3*2 + 1.2*2 + 0) / 3
    const triplet = () => ({
      kind: "triplet" as const,
      losses: tf.tensor1d([0.3, 1.2, 0]),
      anchors: Int32Array.from([4, 1, 1]),
      positives: Int32Array.from([1, 4, 4]),
      negatives: Int32Array.from([0, 0, 3])
    })
    expect(value(weighted, triplet)).toBeCloseTo(1, 6)
    expect(() => value(Reducer.classWeighted([1, 2]), () => element(losses))).toThrow(/label 2 of item 3 has no weight/)
  })

  it("divisor divides the sum by the loss's divisor; 0 gives a zero loss; no divisor is a typed error", () => {
    expect(value(Reducer.divisor(), () => ({ ...element(losses), divisor: 8 }))).toBeCloseTo(0.5, 6)
    expect(value(Reducer.divisor(), () => ({ ...element(losses), divisor: 0 }))).toBe(0)
    try {
      value(Reducer.divisor(), () => element(losses))
      expect.unreachable()
    } catch (e) {
      expect((e as { _tag: string })._tag).toBe("InvalidOption")
      expect(String((e as Error).message)).toMatch(/no divisor/)
    }
  })

  it("perAnchor averages each anchor's pairs (last value of a repeated pair), then reduces the B anchors", () => {
    // table: (0,1)=1 (0,2)=3 (1,0)=2 (3,0)=4 (3,1)=6 (the repeated (3,1) keeps 6); rows 2, 2, 0 (no pair), 5
    const pairs = () => ({
      kind: "posPair" as const,
      losses: tf.tensor1d([1, 3, 2, 4, 5, 6]),
      anchors: Int32Array.from([0, 0, 1, 3, 3, 3]),
      others: Int32Array.from([1, 2, 0, 0, 1, 1])
    })
    expect(value(Reducer.perAnchor(), pairs, 4)).toBeCloseTo(9 / 4, 6)
    expect(value(Reducer.perAnchor(Reducer.avgNonZero()), pairs, 4)).toBeCloseTo(3, 6)
    expect(value(Reducer.perAnchor(Reducer.sum()), () => ({ ...pairs(), kind: "negPair" as const }), 4)).toBeCloseTo(
      9,
      6
    )
    // elements go straight to the inner reducer; triplets are rejected (PML raises NotImplementedError)
    expect(value(Reducer.perAnchor(Reducer.sum()), () => element(losses))).toBeCloseTo(4, 6)
    const triplet = () => ({
      kind: "triplet" as const,
      losses: tf.tensor1d([1]),
      anchors: Int32Array.from([0]),
      positives: Int32Array.from([1]),
      negatives: Int32Array.from([2])
    })
    expect(() => value(Reducer.perAnchor(), triplet)).toThrow(/Triplet reduction not supported/)
  })

  it("already reduced passes through; no items or nothing past the filter is PML's zero loss, with gradient 0", () => {
    for (const r of [
      Reducer.mean(),
      Reducer.sum(),
      Reducer.avgNonZero(),
      Reducer.divisor(),
      Reducer.perAnchor(),
      Reducer.classWeighted([1])
    ]) {
      expect(value(r, () => ({ kind: "alreadyReduced", loss: tf.scalar(2.5) }))).toBe(2.5)
      expect(value(r, () => element([]))).toBe(0)
    }
    const x = tf.tensor2d([
      [1, 2],
      [3, 4]
    ])
    const g = tf.grad((e: tf.Tensor) =>
      Reducer.avgNonZero().reduce(element([0, 0]), { embeddings: e as tf.Tensor2D, labels })
    )(x)
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0])
    tf.dispose([x, g])
  })

  it("the gradient of a threshold reducer is 1/kept on the kept items and 0 elsewhere", () => {
    const x = tf.tensor1d(losses)
    const g = tf.grad((l: tf.Tensor) =>
      Reducer.avgNonZero().reduce(
        { kind: "element", losses: l as tf.Tensor1D, indices: Int32Array.from([0, 1, 2, 3, 4]) },
        batchOf(5)
      )
    )(x)
    const got = Array.from(g.dataSync())
    for (const [i, v] of [0, 1 / 3, 1 / 3, 0, 1 / 3].entries()) expect(got[i]).toBeCloseTo(v, 6)
    tf.dispose([x, g])
  })

  it("bad options and index arrays are typed errors with a fix", () => {
    const tagOf = (f: () => unknown) => {
      try {
        f()
        return "none"
      } catch (e) {
        return `${(e as { _tag: string })._tag}: ${(e as Error).message}`
      }
    }
    expect(tagOf(() => Reducer.threshold({}))).toMatch(
      /^InvalidOption: ThresholdReducer: give at least one of low or high/
    )
    expect(tagOf(() => Reducer.threshold({ low: 2, high: 1 }))).toMatch(
      /^InvalidOption: .*low \(2\) must be below high \(1\)/
    )
    expect(tagOf(() => Reducer.classWeighted([]))).toMatch(/^InvalidOption: ClassWeightedReducer/)
    expect(
      tagOf(() =>
        value(Reducer.mean(), () => ({ kind: "element", losses: tf.tensor1d([1, 2]), indices: Int32Array.from([0]) }))
      )
    ).toMatch(/^InvalidOption: MeanReducer: 2 losses but index arrays of lengths 1/)
    expect(
      tagOf(() =>
        value(Reducer.perAnchor(), () => ({
          kind: "posPair",
          losses: tf.tensor1d([1]),
          anchors: Int32Array.from([7]),
          others: Int32Array.from([0])
        }))
      )
    ).toMatch(/outside the batch of 5/)
  })
})

describe("PML reducers against loop references (fast-check)", () => {
  const itemsArb = fc.array(
    fc.integer({ min: -3, max: 30 }).map((v) => Math.max(0, v / 10)),
    { minLength: 1, maxLength: 12 }
  )

  it("threshold = mean of the values strictly between the bounds (0 when none)", () => {
    fc.assert(
      fc.property(
        itemsArb,
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 15 }),
        (values, lowTenths, widthTenths) => {
          const low = lowTenths / 10
          const high = low + widthTenths / 10
          // float32 items against float32 bounds, as torch compares them
          const kept = values.map(Math.fround).filter((v) => v > Math.fround(low) && v < Math.fround(high))
          const expected = kept.length === 0 ? 0 : kept.reduce((a, b) => a + b, 0) / kept.length
          expect(value(Reducer.threshold({ low, high }), () => element(values), values.length)).toBeCloseTo(expected, 5)
        }
      ),
      { numRuns: 40 }
    )
  })

  it("perAnchor(mean) = 1/B sum_a mean of a's distinct pairs' last values", () => {
    const b = 5
    const pairArb = fc.array(
      fc.tuple(fc.integer({ min: 0, max: b - 1 }), fc.integer({ min: 0, max: b - 1 }), fc.integer({ min: 0, max: 40 })),
      { minLength: 1, maxLength: 14 }
    )
    fc.assert(
      fc.property(pairArb, (pairs) => {
        const table = new Map<string, number>()
        for (const [a, o, v] of pairs) table.set(`${a},${o}`, v / 10)
        let total = 0
        for (let a = 0; a < b; a++) {
          const row = [...table].filter(([k]) => Number(k.split(",")[0]) === a).map(([, v]) => v)
          total += row.length === 0 ? 0 : row.reduce((x, y) => x + y, 0) / row.length
        }
        const items = () => ({
          kind: "negPair" as const,
          losses: tf.tensor1d(pairs.map(([, , v]) => v / 10)),
          anchors: Int32Array.from(pairs.map(([a]) => a)),
          others: Int32Array.from(pairs.map(([, o]) => o))
        })
        expect(value(Reducer.perAnchor(), items, b)).toBeCloseTo(total / b, 5)
      }),
      { numRuns: 40 }
    )
  })
})

describe("losses with an injected reducer", () => {
  it("tripletBatchHard: mean() and avgNonZero() give the `mean` and `meanNonZero` reductions", () => {
    fc.assert(
      fc.property(pkBatch(3, 2, 3), ({ x, y }) => {
        const run = (o: TripletBatchHard.OptionsInput) =>
          tf.tidy(() => num(TripletBatchHard.loss(emb(x), lab(y), o).loss))
        expect(run({ reducer: Reducer.mean() })).toBeCloseTo(run({ reduction: "mean" }), 5)
        expect(run({ reducer: Reducer.avgNonZero() })).toBeCloseTo(run({ reduction: "meanNonZero" }), 5)
        expect(run({ reducer: Reducer.sum() })).toBeCloseTo(run({ reduction: "sum" }), 4)
      }),
      { numRuns: 15 }
    )
  })

  it("supCon and multiSimilarity: their PML default reducers (AvgNonZero, Mean) give the default value; sum = mean x B", () => {
    fc.assert(
      fc.property(pkBatch(3, 2, 3), ({ x, y }) => {
        const b = x.length
        const sc = (reducer?: Reducer.Reducer) =>
          tf.tidy(() => num(SupCon.loss(emb(x), lab(y), reducer === undefined ? {} : { reducer }).loss))
        const ms = (reducer?: Reducer.Reducer) =>
          tf.tidy(() => num(MultiSimilarity.loss(emb(x), lab(y), reducer === undefined ? {} : { reducer }).loss))
        expect(sc(Reducer.avgNonZero())).toBeCloseTo(sc(), 5)
        expect(sc(Reducer.sum()) / b).toBeCloseTo(sc(Reducer.mean()), 4)
        expect(ms(Reducer.mean())).toBeCloseTo(ms(), 5)
        expect(ms(Reducer.sum()) / b).toBeCloseTo(ms(), 4)
        expect(ms(Reducer.classWeighted([1, 1, 1]))).toBeCloseTo(ms(), 5)
        // doubling every weight doubles the class-weighted mean
        expect(ms(Reducer.classWeighted([2, 2, 2]))).toBeCloseTo(2 * ms(), 4)
      }),
      { numRuns: 10 }
    )
  })

  it("contrastive: PML's ContrastiveLoss, avgNonZero over positive pairs + avgNonZero over negative pairs", () => {
    const x: Matrix = [
      [0, 0],
      [0.3, 0.4],
      [1, 0],
      [1.2, 0.5],
      [0.1, 0.1]
    ]
    const y = [0, 0, 1, 1, 0]
    const pos: Array<number> = []
    const neg: Array<number> = []
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < x.length; j++) {
        if (i === j) continue
        const d = l2(x[i]!, x[j]!)
        if (y[i] === y[j]) pos.push(relu(d - 0.1))
        else neg.push(relu(0.9 - d))
      }
    }
    const avgNonZero = (v: ReadonlyArray<number>) => {
      const k = v.filter((a) => a > 0)
      return k.length === 0 ? 0 : k.reduce((a, b) => a + b, 0) / k.length
    }
    const expected = avgNonZero(pos) + avgNonZero(neg)
    const got = tf.tidy(() =>
      num(
        Contrastive.loss(emb(x), lab(y), {
          positiveMargin: 0.1,
          negativeMargin: 0.9,
          power: 1,
          reducer: Reducer.avgNonZero()
        }).loss
      )
    )
    expect(got).toBeCloseTo(expected, 5)
    // with perAnchor(mean): each anchor's positive pairs averaged, then over the 5 anchors (same for negatives)
    const perAnchor = (v: (i: number, j: number) => number | undefined) => {
      let total = 0
      for (let i = 0; i < x.length; i++) {
        const row = x.flatMap((_, j) => (i === j ? [] : [v(i, j)])).filter((a): a is number => a !== undefined)
        total += row.length === 0 ? 0 : row.reduce((a, b) => a + b, 0) / row.length
      }
      return total / x.length
    }
    const expectedPerAnchor =
      perAnchor((i, j) => (y[i] === y[j] ? relu(l2(x[i]!, x[j]!) - 0.1) : undefined)) +
      perAnchor((i, j) => (y[i] !== y[j] ? relu(0.9 - l2(x[i]!, x[j]!)) : undefined))
    const gotPerAnchor = tf.tidy(() =>
      num(
        Contrastive.loss(emb(x), lab(y), {
          positiveMargin: 0.1,
          negativeMargin: 0.9,
          power: 1,
          reducer: Reducer.perAnchor()
        }).loss
      )
    )
    expect(gotPerAnchor).toBeCloseTo(expectedPerAnchor, 5)
  })

  it("leaks no tensor (values and a rejected call)", () => {
    const before = tf.memory().numTensors
    const x = emb([
      [0, 0],
      [0.3, 0.4],
      [1, 0],
      [1.2, 0.5]
    ])
    const y = lab([0, 0, 1, 1])
    for (const reducer of [
      Reducer.mean(),
      Reducer.avgNonZero(),
      Reducer.perAnchor(Reducer.avgNonZero()),
      Reducer.classWeighted([1, 2])
    ]) {
      const v = Contrastive.loss(x, y, { reducer })
      tf.dispose([v.loss, ...Object.values(v.stats)])
    }
    const v = TripletBatchHard.loss(x, y, { reducer: Reducer.classWeighted([1, 2]) })
    tf.dispose([v.loss, ...Object.values(v.stats)])
    expect(() => TripletBatchHard.loss(x, y, { reducer: Reducer.perAnchor() })).toThrow(
      /Triplet reduction not supported/
    )
    tf.dispose([x, y])
    expect(tf.memory().numTensors).toBe(before)
  })
})
