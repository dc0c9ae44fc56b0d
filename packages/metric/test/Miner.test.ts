import * as tf from "@tensorflow/tfjs-core"
import { describe, expect, it } from "vitest"
import {
  BatchAll,
  BatchHard,
  batchAll,
  batchHard,
  Loss,
  MarginSample,
  type Miner,
  marginSample,
  semiHard,
  softHard,
  TripletBatchHard
} from "../src/index.ts"
import { emb, evaluate, lab, num, tidyValue, useCpu } from "./helpers.ts"

useCpu()

// 1-D points (as [x, 0]); labels 0 0 1 1 2; point 4 is alone in its identity.
const X = [
  [0, 0],
  [1, 0],
  [3, 0],
  [4.5, 0],
  [10, 0]
]
const Y = [0, 0, 1, 1, 2]

const context = (policy: Partial<Miner.PairPolicy> = {}, cameras?: ReadonlyArray<number>) =>
  tidyValue(() => {
    const o = {
      distance: "euclidean" as const,
      normalize: false,
      anchorAsPositive: false,
      crossCameraPositives: false,
      refSameItems: false,
      ...policy
    }
    return Loss.prepare("test", emb(X), lab(Y), o, cameras === undefined ? {} : { cameras: lab(cameras) }).context
  })

describe("Miner", () => {
  it("the pair context masks positives (not self), negatives, and counts anchors without a positive", () => {
    const c = context()
    expect(Array.from(c.valid)).toEqual([1, 1, 1, 1, 0])
    expect(c.skipped).toBe(1)
    expect(c.positive[0 * 5 + 0]).toBe(0)
    expect(c.positive[0 * 5 + 1]).toBe(1)
    expect(c.negative[4 * 5 + 0]).toBe(1)
    expect(c.values[3 * 5 + 1]).toBeCloseTo(3.5, 5)
  })

  it("batchHard: farthest positive, closest negative, lowest index on ties", () => {
    const t = BatchHard.mine(context())
    expect(Array.from(t.anchors)).toEqual([0, 1, 2, 3])
    expect(Array.from(t.positives)).toEqual([1, 0, 3, 2])
    expect(Array.from(t.negatives)).toEqual([2, 2, 1, 1])
    expect(t.skipped).toBe(1)
    // ties: both negatives of anchor 0 are at distance 1; the lowest index wins
    const tie = tidyValue(() => {
      const o = {
        distance: "euclidean" as const,
        normalize: false,
        anchorAsPositive: true,
        crossCameraPositives: false,
        refSameItems: false
      }
      return BatchHard.mine(
        Loss.prepare(
          "tie",
          emb([
            [0, 0],
            [1, 0],
            [-1, 0],
            [0, 1]
          ]),
          lab([0, 1, 1, 0]),
          o
        ).context
      )
    })
    expect(Array.from(tie.negatives)).toEqual([1, 0, 0, 1])
    // ties among positives: anchor 0 has positives 1 and 2 at distance 1 (and negative 3 at 2); the lowest index wins
    const posTie = tidyValue(() => {
      const o = {
        distance: "euclidean" as const,
        normalize: false,
        anchorAsPositive: false,
        crossCameraPositives: false,
        refSameItems: false
      }
      return BatchHard.mine(
        Loss.prepare(
          "tie",
          emb([
            [0, 0],
            [1, 0],
            [-1, 0],
            [2, 0]
          ]),
          lab([0, 0, 0, 1]),
          o
        ).context
      )
    })
    expect(posTie.positives[0]).toBe(1)
    expect(posTie.negatives[0]).toBe(3)
  })

  it("anchorAsPositive lets a lone anchor use itself", () => {
    const c = context({ anchorAsPositive: true })
    expect(c.skipped).toBe(0)
    expect(c.selfPositives).toBe(1)
    const t = BatchHard.mine(c)
    expect(t.positives[4]).toBe(4)
    expect(t.negatives[4]).toBe(3)
  })

  it("crossCameraPositives keeps only positives from another camera", () => {
    const c = context({ crossCameraPositives: true }, [0, 1, 0, 0, 1])
    expect(Array.from(c.valid)).toEqual([1, 1, 0, 0, 0])
    expect(c.skipped).toBe(3)
    expect(() => context({ crossCameraPositives: true })).toThrow(/camera ids/)
  })

  it("batchAll lists every valid triplet, or only margin violators", () => {
    const all = BatchAll.mine(context())
    expect(all.anchors.length).toBe(12)
    const violators = batchAll({ margin: 1 }).mine(context())
    expect(Array.from(violators.anchors)).toEqual([2])
    expect(Array.from(violators.positives)).toEqual([3])
    expect(Array.from(violators.negatives)).toEqual([1])
  })

  it("semiHard picks the closest negative farther than the positive, with skip or hardest fallback", () => {
    const t = semiHard().mine(context())
    expect(Array.from(t.negatives)).toEqual([2, 2, 1, 1])
    const c = tidyValue(() => {
      const o = {
        distance: "euclidean" as const,
        normalize: false,
        anchorAsPositive: false,
        crossCameraPositives: false,
        refSameItems: false
      }
      return Loss.prepare(
        "semi",
        emb([
          [0, 0],
          [5, 0],
          [1, 0],
          [1.5, 0]
        ]),
        lab([0, 0, 1, 1]),
        o
      ).context
    })
    // pairs (0,1) d=5 and (1,0): every negative is closer than 5
    const skip = semiHard().mine(c)
    expect(Array.from(skip.anchors)).toEqual([2, 3])
    expect(skip.skipped).toBe(2)
    const hardest = semiHard({ fallback: "hardest" }).mine(c)
    expect(Array.from(hardest.anchors)).toEqual([0, 1, 2, 3])
    expect(Array.from(hardest.negatives.slice(0, 2))).toEqual([2, 3])
    expect(() => semiHard({ margin: -1 })).toThrow(/semiHard options/)
  })

  it("softHard weights are masked softmaxes that sharpen into the batch-hard choice", () => {
    const w = softHard({ temperature: 1 }).mine(context())
    const row0 = Array.from(w.negative.slice(0, 5))
    const z = Math.exp(-3) + Math.exp(-4.5) + Math.exp(-10)
    expect(row0[0]).toBe(0)
    expect(row0[1]).toBe(0)
    expect(row0[2]).toBeCloseTo(Math.exp(-3) / z, 6)
    expect(row0[4]).toBeCloseTo(Math.exp(-10) / z, 6)
    expect(w.positive[1]).toBeCloseTo(1, 6)
    expect(Array.from(w.negative.slice(20, 25))).toEqual([0, 0, 0, 0, 0]) // the invalid anchor
    const sharp = softHard({ temperature: 1e-4 }).mine(context())
    expect(sharp.negative[2 * 5 + 1]).toBeCloseTo(1, 6) // anchor 2: hardest negative is 1
  })

  it("marginSample picks the farthest positive pair and the closest negative pair of the batch", () => {
    const p = marginSample().mine(context())
    expect([p.positiveAnchors[0], p.positiveRefs[0]]).toEqual([2, 3])
    expect([p.negativeAnchors[0], p.negativeRefs[0]]).toEqual([1, 2])
    expect(MarginSample.mine(context({ crossCameraPositives: true }, [0, 0, 0, 0, 0])).positiveAnchors.length).toBe(0)
  })

  it("a miner handed to a loss replaces batch-hard mining", () => {
    expect(evaluate(() => TripletBatchHard.loss(emb(X), lab(Y), { margin: 1, miner: batchHard() })).loss).toBeCloseTo(
      0.125,
      5
    )
    expect(evaluate(() => TripletBatchHard.loss(emb(X), lab(Y), { margin: 1, miner: semiHard() })).loss).toBeCloseTo(
      0.125,
      5
    )
    const all = evaluate(() => TripletBatchHard.loss(emb(X), lab(Y), { margin: 1, miner: batchAll() }))
    expect(all.loss).toBeCloseTo(0.5 / 12, 5)
    expect(all.stats).toEqual({ triplets: 12, active: 1, skipped: 1 })
    expect(() => tf.tidy(() => TripletBatchHard.loss(emb(X), lab(Y), { miner: marginSample() }).loss)).toThrow(
      /pair miner/
    )
  })

  it("references from another source: anchors against a second set with its own labels", () =>
    tf.tidy(() => {
      const anchors = emb([
        [0, 0],
        [3, 0]
      ])
      const refs = emb([
        [1, 0],
        [2, 0],
        [10, 0]
      ])
      const r = TripletBatchHard.loss(
        anchors,
        lab([0, 1]),
        { margin: 1 },
        { references: { embeddings: refs, labels: lab([0, 1, 1]) } }
      )
      // anchor 0: p = ref0 (1), n = ref1 (2): relu(1 - 2 + 1) = 0; anchor 1: p = ref2 (7), n = ref0 (2): 6
      expect(num(r.loss)).toBeCloseTo(3, 5)
      // same items: references = the anchors through another model, (i, i) excluded with refSameItems
      const same = TripletBatchHard.loss(
        emb(X),
        lab(Y),
        { margin: 1, refSameItems: true },
        { references: { embeddings: emb(X) } }
      )
      expect(num(same.loss)).toBeCloseTo(0.125, 5)
      const notSame = TripletBatchHard.loss(emb(X), lab(Y), { margin: 1 }, { references: { embeddings: emb(X) } })
      expect(num(notSame.stats["skipped"]!)).toBe(0) // (4, 4) is a positive pair of distance 0 now
      expect(() => TripletBatchHard.loss(anchors, lab([0, 1]), {}, { references: { embeddings: refs } })).toThrow(
        /reference labels are required/
      )
    }))
})
