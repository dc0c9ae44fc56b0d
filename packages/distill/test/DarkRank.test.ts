import * as tf from "@tensorflow/tfjs-core"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DarkRank } from "../src/index.ts"
import { dist, reshape, useCpu, value } from "./setup.ts"

useCpu()

const points = (rows: number, cols: number, max = 1) =>
  fc.array(fc.double({ min: -max, max, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }).map((flat) =>
    reshape(
      flat.map((v) => Math.round(v * 1000) / 1000),
      rows,
      cols
    )
  )

const disposeStats = (v: { stats: Readonly<Record<string, tf.Tensor>> }) => tf.dispose(Object.values(v.stats))

/** Plackett-Luce probability of `perm` as the authors' `_get_perm_prob` computes it (products from the end). */
const permProb = (s: ReadonlyArray<number>, perm: ReadonlyArray<number>): number => {
  let sum = 0
  let prob = 1
  for (const idx of [...perm].reverse()) {
    const e = Math.exp(s[idx]!)
    sum += e
    prob *= e / sum
  }
  return prob
}

const allPerms = (items: ReadonlyArray<number>): Array<Array<number>> =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((x, i) => allPerms([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]))

/** The other indices of `q` by increasing distance (ties to the lower index). */
const order = (x: Array<Array<number>>, q: number): Array<number> =>
  x
    .map((_, j) => j)
    .filter((j) => j !== q)
    .sort((a, b) => dist(x[q]!, x[a]!) - dist(x[q]!, x[b]!) || a - b)

const scoreRow = (x: Array<Array<number>>, q: number, alpha: number, beta: number) =>
  x.map((p) => -alpha * dist(x[q]!, p) ** beta)

/** Brute force: soft = KL over every permutation of the teacher's top-L list; hard = -log P(teacher order). */
const reference = (
  s: Array<Array<number>>,
  t: Array<Array<number>>,
  transfer: "soft" | "hard",
  alpha: number,
  beta: number,
  length: number
) => {
  let total = 0
  for (let q = 0; q < s.length; q++) {
    const list = order(t, q).slice(0, length)
    const ss = scoreRow(s, q, alpha, beta)
    if (transfer === "hard") {
      total += -Math.log(permProb(ss, list))
    } else {
      const ts = scoreRow(t, q, alpha, beta)
      for (const perm of allPerms(list)) {
        const pt = permProb(ts, perm)
        total += pt * Math.log(pt / permProb(ss, perm))
      }
    }
  }
  return total / s.length
}

/**
 * The authors' hand-derived ListMLE gradient (TuSimple/DarkRank `PYOP/listmle_loss.py`, backward), over every query,
 * scale = 1, plus the gradient through the query itself (minus the candidates' terms), which their backward omits.
 */
const authorsListMleGrad = (s: Array<Array<number>>, t: Array<Array<number>>, power: number): Array<Array<number>> => {
  const n = s.length
  const grads = s.map((row) => row.map(() => 0))
  for (let q = 0; q < n; q++) {
    const rank = order(t, q)
    const sd = s.map((p) => dist(s[q]!, p) ** 2)
    const scores = sd.map((d) => -(d ** power))
    const exp = new Array<number>(n).fill(0)
    const docProb = new Array<number>(n).fill(0)
    let sum = 0
    for (const idx of [...rank].reverse()) {
      exp[idx] = Math.exp(scores[idx]!)
      sum += exp[idx]!
      docProb[idx] = exp[idx]! / sum
    }
    rank.forEach((idx, i) => {
      let tmp = 0
      for (let j = 0; j <= i; j++) tmp += (exp[idx]! / exp[rank[j]!]!) * docProb[rank[j]!]!
      for (let c = 0; c < s[0]!.length; c++) {
        const term = (tmp - 1) * (s[idx]![c]! - s[q]![c]!) * -2 * (power * sd[idx]! ** (power - 1))
        grads[idx]![c]! += term
        grads[q]![c]! -= term // the query's share, which the authors' backward leaves out (it holds each query fixed)
      }
    })
  }
  return grads.map((row) => row.map((g) => g / n))
}

describe("DarkRank: Plackett-Luce pieces", () => {
  it("permutations(l) lists the l! permutations once each, in lexicographic order", () => {
    expect(DarkRank.permutations(3)).toEqual([
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0]
    ])
    const p4 = DarkRank.permutations(4)
    expect(p4.length).toBe(24)
    expect(new Set(p4.map((p) => p.join())).size).toBe(24)
  })

  it("log-probabilities match the product formula and sum to 1 over all permutations", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -30, max: 5, noNaN: true }), { minLength: 1, maxLength: 5 }), (x) => {
        noLeaks(() => {
          const t = tf.tensor2d([x])
          const logs = tf.tidy(() => DarkRank.allPermutationLogProbs(t).arraySync()[0]!)
          const perms = DarkRank.permutations(x.length)
          for (const [p, perm] of perms.entries()) expect(Math.exp(logs[p]!)).toBeCloseTo(permProb(x, perm), 4)
          expect(logs.reduce((a, l) => a + Math.exp(l), 0)).toBeCloseTo(1, 4)
          t.dispose()
        })
      }),
      { numRuns: 40 }
    )
  })

  it("stays finite when scores differ by hundreds (stable suffix log-sum-exp)", () => {
    const x = tf.tensor1d([0, -200, -400])
    const lp = value(DarkRank.plackettLuceLogProb(x))
    expect(lp).toBeCloseTo(0, 4) // the order agrees with the scores: probability ~1
    const reversed = tf.tensor1d([-400, -200, 0])
    expect(value(DarkRank.plackettLuceLogProb(reversed))).toBeCloseTo(-600, 1) // log(e^-400/1) + log(e^-200/1)
    tf.dispose([x, reversed])
  })
})

describe("DarkRank: soft and hard transfer", () => {
  it("hand-computed hard transfer on three points in 1-D (alpha = beta = 1)", () => {
    // student 0, 1, 3; teacher 0, 2, 3. Query 0: teacher order (1, 2), student scores -1, -3:
    // P = e^-1/(e^-1 + e^-3) * 1. Query 1: teacher distances to 0: 2, to 2: 1 -> order (2, 0), student scores
    // to 2: -2, to 0: -1 -> P = e^-2/(e^-2 + e^-1). Query 2: teacher order (1, 0), student scores -2, -3 -> e^-2/(e^-2+e^-3).
    const s = tf.tensor2d([[0], [1], [3]])
    const t = tf.tensor2d([[0], [2], [3]])
    const p = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b))
    const expected = -(Math.log(p(-1, -3)) + Math.log(p(-2, -1)) + Math.log(p(-2, -3))) / 3
    const v = DarkRank.loss(s, t, { transfer: "hard", alpha: 1, beta: 1, normalize: false })
    expect(value(v.loss)).toBeCloseTo(expected, 5)
    expect(value(v.stats.listLength!)).toBe(2)
    tf.dispose([s, t])
  })

  it("matches the brute-force enumeration (soft: KL over all permutations of the top-L list; hard: -log P of the teacher order)", () => {
    fc.assert(
      fc.property(
        points(5, 2),
        points(5, 2),
        fc.constantFrom("soft" as const, "hard" as const),
        fc.constantFrom(1, 2, 3),
        fc.constantFrom(0.5, 1, 4),
        fc.constantFrom(1, 2, 3),
        (s, t, transfer, listLength, alpha, beta) => {
          noLeaks(() => {
            const [st, tt] = [tf.tensor2d(s), tf.tensor2d(t)]
            const v = DarkRank.loss(st, tt, { transfer, alpha, beta, listLength, normalize: false })
            expect(value(v.loss)).toBeCloseTo(reference(s, t, transfer, alpha, beta, listLength), 3)
            disposeStats(v)
            tf.dispose([st, tt])
          })
        }
      ),
      { numRuns: 40 }
    )
  })

  it("soft transfer: >= 0, and 0 when the student's scores equal the teacher's (also after a rigid motion)", () => {
    fc.assert(
      fc.property(points(6, 3), points(6, 3), fc.double({ min: -2, max: 2, noNaN: true }), (s, t, shift) => {
        noLeaks(() => {
          const [st, tt] = [tf.tensor2d(s), tf.tensor2d(t)]
          const v = DarkRank.loss(st, tt, { normalize: false, alpha: 1, beta: 2 })
          expect(value(v.loss)).toBeGreaterThanOrEqual(-1e-5)
          disposeStats(v)
          const moved = tf.tidy(() => tf.add(tf.gather(tt, [2, 0, 1], 1), shift) as tf.Tensor2D)
          const same = DarkRank.loss(moved, tt, { normalize: false, alpha: 1, beta: 2 })
          expect(value(same.loss)).toBeLessThan(1e-4)
          disposeStats(same)
          tf.dispose([st, tt, moved])
        })
      }),
      { numRuns: 25 }
    )
  })

  it("hard transfer's gradient equals the authors' hand-derived ListMLE gradient (TuSimple/DarkRank listmle_loss.py)", () => {
    fc.assert(
      fc.property(points(5, 3), points(5, 3), fc.constantFrom(1, 2), (s, t, power) => {
        noLeaks(() => {
          const [st, tt] = [tf.tensor2d(s), tf.tensor2d(t)]
          // the code's score -(d^2)^power is alpha = 1, beta = 2 * power on the given (already normalised) features
          const g = tf.grad((x: tf.Tensor) => {
            const v = DarkRank.loss(x as tf.Tensor2D, tt, {
              transfer: "hard",
              alpha: 1,
              beta: 2 * power,
              normalize: false
            })
            disposeStats(v)
            return v.loss
          })(st)
          const got = g.arraySync() as Array<Array<number>>
          const expected = authorsListMleGrad(s, t, power)
          for (const [i, row] of got.entries())
            for (const [c, x] of row.entries()) expect(x).toBeCloseTo(expected[i]![c]!, 3)
          tf.dispose([st, tt, g])
        })
      }),
      { numRuns: 20 }
    )
  })

  it("defaults: normalised embeddings (scale-invariant), alpha 12.25, beta 4, soft list of 4; teacher gets no gradient", () => {
    const s = tf.tensor2d([
      [1, 0],
      [0.8, 0.3],
      [0, 1],
      [-1, 0.2],
      [0.3, -1],
      [0.5, 0.5]
    ])
    const t = tf.tensor2d([
      [1, 0.1],
      [0, 1],
      [0.7, 0.3],
      [-1, 0],
      [0.2, -1],
      [0.4, 0.6]
    ])
    const scaled = tf.mul(s, 3) as tf.Tensor2D
    const a = DarkRank.loss(s, t)
    const b = DarkRank.loss(scaled, t)
    expect(value(a.stats.listLength!)).toBe(4)
    const av = value(a.loss)
    expect(av).toBeGreaterThan(0)
    expect(value(b.loss)).toBeCloseTo(av, 4)
    disposeStats(b)
    // the same value from explicit options on pre-normalised inputs
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D
    const [sn, tn] = [norm(s), norm(t)]
    const explicit = DarkRank.loss(sn, tn, { alpha: 12.25, beta: 4, listLength: 4, normalize: false })
    expect(value(explicit.loss)).toBeCloseTo(av, 4)
    disposeStats(explicit)
    // the teacher is detached: no path from it to the loss on the tape
    expect(() =>
      tf.grad((x: tf.Tensor) => {
        const v = DarkRank.loss(s, x as tf.Tensor2D)
        disposeStats(v)
        return v.loss
      })(t)
    ).toThrow(/Cannot compute gradient/)
    tf.dispose([s, t, scaled, sn, tn])
  })

  it("mutual: both directions sum loss(a, b) + loss(b, a); fromPeer is loss(a, b)", () => {
    const a = tf.tensor2d([[0], [1], [3], [4]])
    const b = tf.tensor2d([[0], [2], [3], [7]])
    const o = { transfer: "hard" as const, alpha: 1, beta: 1, normalize: false }
    const ab = DarkRank.loss(a, b, o)
    const ba = DarkRank.loss(b, a, o)
    const [vab, vba] = [value(ab.loss), value(ba.loss)]
    const both = DarkRank.mutualLoss(a, b, o)
    expect(value(both.loss)).toBeCloseTo(vab + vba, 5)
    disposeStats(both)
    const one = DarkRank.mutualLoss(a, b, { ...o, directions: "fromPeer" })
    expect(value(one.loss)).toBeCloseTo(vab, 5)
    tf.dispose([a, b, ab.stats.listLength!, ba.stats.listLength!, one.stats.listLength!])
  })

  it("rejects a soft list longer than 7 or the whole batch, with a typed error", () => {
    const x = tf.tensor2d([[0], [1], [2]])
    expect(() => DarkRank.loss(x, x, { listLength: 8 })).toThrow(/listLength must be 1\.\.7/)
    expect(() => DarkRank.loss(x, x, { listLength: 0 })).toThrow(/listLength must be 1\.\.7/)
    expect(() => DarkRank.loss(x, x, { alpha: -1 })).toThrow(/darkRank options/)
    x.dispose()
  })
})

describe("localMetricMutual (AlignedReID mutual learning on the local distance)", () => {
  it("equals the mean squared difference of the two local distance matrices, both directions; 0 for equal stripes", async () => {
    const { LocalMetricMutual } = await import("../src/index.ts")
    const { LocalDistance } = await import("@reidfx/metric")
    noLeaks(() => {
      const a = tf.tensor3d([
        [
          [1, 0],
          [0, 1]
        ],
        [
          [1, 1],
          [0, 1]
        ],
        [
          [0.5, -1],
          [1, 0]
        ]
      ])
      const b = tf.tensor3d([
        [
          [0, 1],
          [1, 0]
        ],
        [
          [1, 1],
          [1, 0]
        ],
        [
          [1, -1],
          [0, 1]
        ]
      ])
      const [da, db] = tf.tidy(() => [LocalDistance.matrix(a).arraySync(), LocalDistance.matrix(b).arraySync()])
      const mse = da.flat().reduce((s, x, k) => s + (x - db.flat()[k]!) ** 2, 0) / 9
      const v = LocalMetricMutual.loss(a, b)
      expect(value(v.loss)).toBeCloseTo(2 * mse, 5)
      disposeStats(v)
      const one = LocalMetricMutual.loss(a, b, { directions: "fromPeer" })
      expect(value(one.loss)).toBeCloseTo(mse, 5)
      const same = LocalMetricMutual.loss(a, a)
      expect(value(same.loss)).toBeCloseTo(0, 6)
      disposeStats(same)
      tf.dispose([a, b])
    })
  })
})
