import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fc from "fast-check"
import { beforeAll } from "vitest"
import {
  attributeScores,
  identificationRates,
  rocSpec,
  rocSvg,
  topK,
  verification,
  VerificationProtocol,
  verifyWithValidation
} from "../src/index.ts"

beforeAll(() => Effect.runPromise(Effect.scoped(Layer.build(Backend.layerCpu))))

describe("verifyWithValidation (1:1 with a threshold chosen on validation identities)", () => {
  it("splits identities disjointly, picks the validation threshold at the FAR, and reports the test rates at it", () => {
    // 8 identities x 3 items on a circle: same identity = nearby angles
    const ids: Array<number> = []
    const feats: Array<Array<number>> = []
    for (let id = 0; id < 8; id++) {
      for (let k = 0; k < 3; k++) {
        const a = (id * 2 * Math.PI) / 8 + (k - 1) * 0.12 + 0.01 * id
        feats.push([Math.cos(a), Math.sin(a)])
        ids.push(id)
      }
    }
    const r = verifyWithValidation(feats, ids, { far: 0.01, seed: 3 })
    expect([...r.validationIdentities, ...r.testIdentities].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(r.validationIdentities.filter((i) => r.testIdentities.includes(i))).toEqual([])
    expect(r.threshold).toBe(r.validation.tarAtFar[0]!.threshold)
    // the clusters are separated: every genuine pair is accepted and no impostor at the chosen threshold
    expect(r.testAtThreshold).toEqual({ tar: 1, far: 0 })
    expect(r.test.auc).toBeCloseTo(1, 9)
    // a different seed gives another split, same sizes
    const other = verifyWithValidation(feats, ids, { far: 0.01, seed: 4 })
    expect(other.validationIdentities.length).toBe(4)
    expect(() => verifyWithValidation(feats, ids, { validationFraction: 1 })).toThrow(/not in \(0, 1\)/)
  })

  it("ratesAt agrees with the ROC point of the same threshold", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { minLength: 4, maxLength: 30 }),
        (pairs) => {
          const d = pairs.map(([x]) => x / 10)
          const same = pairs.map(([, s]) => (s ? 1 : 0))
          if (!same.includes(1) || !same.includes(0)) return
          const roc = verification(d, same, { scoreType: "distance" }).roc
          for (let t = 1; t < roc.thresholds.length; t++) {
            const at = VerificationProtocol.ratesAt(d, same, roc.thresholds[t]!)
            expect(at.tar).toBeCloseTo(roc.tar[t]!, 9)
            expect(at.far).toBeCloseTo(roc.far[t]!, 9)
          }
        }
      ),
      { numRuns: 50 }
    )
  })

  it("rocSvg draws, with Vega-Lite, one line through every ROC point (FAR clamped to 1e-4) and the mark", async () => {
    const roc = verification([0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0], { scoreType: "distance" }).roc
    const spec = rocSpec(roc, { mark: { far: 0.5, tar: 0.5 } }) as {
      layer: Array<{ data: { values: Array<{ far: number; tar: number }> } }>
    }
    expect(spec.layer[0]!.data.values).toEqual(
      Array.from(roc.far, (f, i) => expect.objectContaining({ far: Math.max(f, 1e-4), tar: roc.tar[i] }))
    )
    expect(spec.layer[1]!.data.values).toEqual([{ far: 0.5, tar: 0.5 }])
    const svg = await Effect.runPromise(rocSvg(roc, { mark: { far: 0.5, tar: 0.5 } }))
    expect(svg).toMatch(/^<svg /)
    // the line is one path with a vertex per ROC point (M, then one L per further point)
    const line = svg.match(/<g class="mark-line role-mark[^>]*><path [^>]*d="([^"]*)"/)![1]!
    expect(line.split(/[ML]/).filter((p) => p.length > 0)).toHaveLength(roc.far.length)
    expect(svg).toMatch(/<g class="mark-symbol role-mark[^>]*><path /)
    expect(svg).toContain(">FAR<")
    expect(svg).toContain(">1e-4<".replace("1e-4", "0.0001"))
  })
})

describe("identification (1:N)", () => {
  it("hand-computed top-k and closed / open-set rates", () => {
    // 3 probes x 4 gallery; gallery ids 1 2 3 1; probe ids 1, 3, 9 (not enrolled)
    const d = [0.5, 0.1, 0.9, 0.2, 0.4, 0.3, 0.2, 0.8, 0.6, 0.7, 0.9, 0.6]
    const c = topK(d, 3, 4, 2)
    expect(c.map((x) => x.indices)).toEqual([
      [1, 3],
      [2, 1],
      [0, 3]
    ])
    const closed = identificationRates(c, [1, 3, 9], [1, 2, 3, 1])
    expect(closed).toEqual({ rates: [0.5, 1], enrolled: 2, unenrolled: 1 })
    // threshold 0.15: probe 0's id-1 match is at 0.2 -> missed; probe 1's at 0.2 -> missed; probe 2's best 0.6 -> no alarm
    const open = identificationRates(c, [1, 3, 9], [1, 2, 3, 1], 0.25)
    expect(open.rates).toEqual([0.5, 1])
    expect(open.falseAlarmRate).toBe(0)
    const strict = identificationRates(c, [1, 3, 9], [1, 2, 3, 1], 0.15)
    expect(strict.rates).toEqual([0, 0])
  })
})

describe("attributeScores (mA, per-attribute accuracy, instance F1)", () => {
  it("hand-computed", () => {
    // 4 people x 2 attributes; labels and logits
    const labels = [1, 0, 1, 1, 0, 0, 0, -1]
    const scores = [2, -1, -1, 3, 1, -2, -3, 5]
    // attribute 0: P = 2 (rows 0, 1), TP = 1; N = 2 (rows 2, 3), TN = 1 -> acc 0.5, balanced 0.5
    // attribute 1: P = 1 (row 1), TP = 1; N = 2 (rows 0, 2), TN = 2; row 3 unknown -> acc 1, balanced 1
    const r = attributeScores(scores, labels, 2)
    expect(r.perAttribute.map((a) => [a.accuracy, a.balanced])).toEqual([
      [0.5, 0.5],
      [1, 1]
    ])
    expect(r.mA).toBe(0.75)
    // instance: row 0 Y {0} P {0} -> 1,1,1; row 1 Y {0,1} P {1} -> 1/2, 1, 1/2; row 2 Y {} P {0} -> 0, 0, 1 (empty Y, empty ∩);
    // row 3 Y {} P {} (attr 1 unknown) -> 1, 1, 1
    expect(r.instanceAccuracy).toBeCloseTo((1 + 0.5 + 0 + 1) / 4, 9)
    expect(r.precision).toBeCloseTo((1 + 1 + 0 + 1) / 4, 9)
    expect(r.recall).toBeCloseTo((1 + 0.5 + 1 + 1) / 4, 9)
    expect(r.f1).toBeCloseTo((2 * 0.75 * 0.875) / (0.75 + 0.875), 9)
  })
})

describe("AlignedDistance (evaluation-time local distance)", () => {
  it("matches the definition on small cases (stripe normalisation, tanh(d/2), brute-force monotone paths)", async () => {
    const { AlignedDistance } = await import("../src/index.ts")
    const paths = (h: number, w: number): Array<Array<[number, number]>> => {
      const out: Array<Array<[number, number]>> = []
      const walk = (i: number, j: number, p: Array<[number, number]>) => {
        const here = [...p, [i, j] as [number, number]]
        if (i === h - 1 && j === w - 1) return void out.push(here)
        if (i + 1 < h) walk(i + 1, j, here)
        if (j + 1 < w) walk(i, j + 1, here)
      }
      walk(0, 0, [])
      return out
    }
    const unit = (v: Array<number>) => {
      const n = Math.hypot(...v)
      return n === 0 ? v : v.map((x) => x / n)
    }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 2 * 3 * 2, maxLength: 2 * 3 * 2 }),
        fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 3 * 3 * 2, maxLength: 3 * 3 * 2 }),
        (qa, ga) => {
          const q = { data: Float32Array.from(qa), rows: 2, stripes: 3, dim: 2 }
          const g = { data: Float32Array.from(ga), rows: 3, stripes: 3, dim: 2 }
          const d = AlignedDistance.localDistances(q, g, { queryBlock: 1 })
          const stripe = (a: ArrayLike<number>, item: number, s: number) =>
            unit([a[(item * 3 + s) * 2]!, a[(item * 3 + s) * 2 + 1]!])
          for (let i = 0; i < 2; i++) {
            for (let j = 0; j < 3; j++) {
              const cell = (a: number, b: number) =>
                Math.tanh(Math.hypot(...stripe(qa, i, a).map((x, k) => x - stripe(ga, j, b)[k]!)) / 2)
              const best = Math.min(...paths(3, 3).map((p) => p.reduce((s, [a, b]) => s + cell(a, b), 0)))
              expect(d[i * 3 + j]).toBeCloseTo(best, 4)
            }
          }
        }
      ),
      { numRuns: 30 }
    )
    expect(Array.from(AlignedDistance.combine([1, 2], [0.5, 0.25], 2))).toEqual([2, 2.5])
  })

  it("gives identical stripes a distance below 1e-6 (the product form alone leaves ~1e-4 after the square root)", async () => {
    const { AlignedDistance } = await import("../src/index.ts")
    // one stripe per item, 64-d: an item against itself is tanh(0 / 2) = 0, and a stripe 1e-3 away (relative) keeps
    // its distance: tanh(|u - v| / 2) of the normalised stripes, computed here in float64
    const rows = 12
    const dim = 64
    const data = Float32Array.from(
      { length: rows * dim },
      (_, k) => Math.sin(k * 12.9898) * 43758.5453 - Math.floor(Math.sin(k * 12.9898) * 43758.5453) - 0.5
    )
    const near = Float32Array.from(data, (v, k) => (k % dim === 0 ? v + 1e-3 : v))
    const items = { data, rows, stripes: 1, dim }
    const self = AlignedDistance.localDistances(items, items, { queryBlock: 5 })
    for (let i = 0; i < rows; i++) expect(Math.abs(self[i * rows + i]!)).toBeLessThan(1e-6)
    const moved = AlignedDistance.localDistances(items, { data: near, rows, stripes: 1, dim })
    const unit = (a: Float32Array, i: number) => {
      const v = Array.from(Float32Array.from(a.subarray(i * dim, (i + 1) * dim)))
      const n = Math.hypot(...v)
      return v.map((x) => Math.fround(x / n))
    }
    for (let i = 0; i < rows; i++) {
      const u = unit(data, i)
      const v = unit(near, i)
      const expected = Math.tanh(Math.hypot(...u.map((x, k) => x - v[k]!)) / 2)
      expect(moved[i * rows + i]).toBeCloseTo(expected, 6)
    }
  })
})
