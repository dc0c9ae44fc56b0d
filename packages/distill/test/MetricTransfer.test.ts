import * as tf from "@tensorflow/tfjs-core"
import { Distance } from "@reidfx/metric"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  MetricMutual,
  MutualTripletContrast,
  PairwiseDistance,
  RkdAngle,
  RkdDistance,
  TripletContrast
} from "../src/index.ts"
import { dist, matrix, reshape, useCpu, value } from "./setup.ts"

useCpu()

const points = (rows: number, cols: number, max = 3) =>
  fc.array(fc.double({ min: -max, max, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }).map((flat) =>
    reshape(
      flat.map((v) => Math.round(v * 1000) / 1000),
      rows,
      cols
    )
  ) // a 1e-3 grid: no denormals

const distances = (x: Array<Array<number>>) => x.map((a) => x.map((b) => dist(a, b)))

/** The float32 euclidean distances tfjs computes (so that mining ties break as in the implementation). */
const float32Distances = (x: Array<Array<number>>) => matrix(tf.tidy(() => Distance.euclidean.matrix(tf.tensor2d(x))))

const disposeStats = (v: { stats: Readonly<Record<string, tf.Tensor>> }) => tf.dispose(Object.values(v.stats))

/** Batch-hard triplets (ties to the lowest index) and TCL, in plain JS. */
const referenceTCL = (
  ds: Array<Array<number>>,
  dt: Array<Array<number>>,
  labels: Array<number>,
  mine: Array<Array<number>>,
  tau: number,
  mutual: boolean
) => {
  const logSig = (z: number) => -Math.log1p(Math.exp(-z))
  const bkl = (zt: number, zs: number) => {
    const pt = 1 / (1 + Math.exp(-zt))
    return pt * (logSig(zt) - logSig(zs)) + (1 - pt) * (logSig(-zt) - logSig(-zs))
  }
  let total = 0
  let count = 0
  for (let a = 0; a < labels.length; a++) {
    let p = -1
    let n = -1
    for (let j = 0; j < labels.length; j++) {
      if (j === a) continue
      if (labels[j] === labels[a]) {
        if (p < 0 || mine[a]![j]! > mine[a]![p]!) p = j
      } else if (n < 0 || mine[a]![j]! < mine[a]![n]!) n = j
    }
    if (p < 0 || n < 0) continue
    const zt = (dt[a]![n]! - dt[a]![p]!) / tau
    const zs = (ds[a]![n]! - ds[a]![p]!) / tau
    total += bkl(zt, zs) + (mutual ? bkl(zs, zt) : 0)
    count++
  }
  return { total, count }
}

describe("pairwiseDistance (MDKT L_PD)", () => {
  it("hand-computed: sum and mean over pairs", () => {
    // D_s: d01 = 1, d02 = 3, d12 = 2; D_t: d01 = 2, d02 = 3, d12 = 1 -> (1)^2 + 0 + (1)^2 = 2
    const s = tf.tensor2d([[0], [1], [3]])
    const t = tf.tensor2d([[0], [2], [3]])
    expect(value(PairwiseDistance.loss(s, t).loss)).toBeCloseTo(2, 5)
    expect(value(PairwiseDistance.loss(s, t, { reduction: "mean" }).loss)).toBeCloseTo(2 / 3, 5)
    // squared euclidean: d01 1 vs 4, d02 9 vs 9, d12 4 vs 1 -> 9 + 0 + 9
    expect(value(PairwiseDistance.loss(s, t, { distance: "squaredEuclidean" }).loss)).toBeCloseTo(18, 4)
    tf.dispose([s, t])
  })

  it("is 0 exactly when the distance matrices agree (a rigid motion of the teacher), positive otherwise", () => {
    fc.assert(
      fc.property(
        points(5, 3),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.double({ min: 1.5, max: 3, noNaN: true }),
        (t, shift, scale) => {
          noLeaks(() => {
            const tt = tf.tensor2d(t)
            // translate and swap two coordinates: same distances
            const moved = tf.tidy(() => tf.add(tf.gather(tt, [2, 0, 1], 1), shift) as tf.Tensor2D)
            const scaled = tf.tidy(() => tf.mul(tt, scale) as tf.Tensor2D)
            const same = value(PairwiseDistance.loss(moved, tt, { reduction: "mean" }).loss)
            expect(same).toBeLessThan(1e-5)
            const expected = distances(t).reduce(
              (acc, row, i) => acc + row.reduce((s, d, j) => (j > i ? s + (d * scale - d) ** 2 : s), 0),
              0
            )
            const got = value(PairwiseDistance.loss(scaled, tt).loss)
            expect(got).toBeCloseTo(expected, 2)
            if (expected > 1e-3) expect(got).toBeGreaterThan(0)
            // with L2-normalised embeddings the scale difference disappears
            expect(value(PairwiseDistance.loss(scaled, tt, { normalize: true }).loss)).toBeLessThan(1e-5)
            tf.dispose([tt, moved, scaled])
          })
        }
      ),
      { numRuns: 30 }
    )
  })
})

describe("tripletContrast (MDKT TCL) and mutualTripletContrast (MTCL)", () => {
  it("hand-computed on four items", () => {
    // teacher 0, 1, 3, 5 and student 0, 2, 3, 4 (1-D), labels 0 0 1 1. Batch-hard triplets from the teacher:
    // (0, 1, 2), (1, 0, 2), (2, 3, 1), (3, 2, 1); teacher z = d_an - d_ap = 2, 1, 0, 2; student z = 1, -1, 0, 1
    const s = tf.tensor2d([[0], [2], [3], [4]])
    const t = tf.tensor2d([[0], [1], [3], [5]])
    const labels = tf.tensor1d([0, 0, 1, 1], "int32")
    const sig = (z: number) => 1 / (1 + Math.exp(-z))
    const bkl = (zt: number, zs: number) =>
      sig(zt) * Math.log(sig(zt) / sig(zs)) + (1 - sig(zt)) * Math.log((1 - sig(zt)) / (1 - sig(zs)))
    const expected = bkl(2, 1) + bkl(1, -1) + bkl(0, 0) + bkl(2, 1)
    const v = TripletContrast.loss(s, t, labels)
    expect(value(v.loss)).toBeCloseTo(expected, 5)
    expect(value(v.stats.triplets!)).toBe(4)
    expect(value(v.stats.skipped!)).toBe(0)
    // tau_2 = 2 halves every z; mean divides by 4
    const halved = TripletContrast.loss(s, t, labels, { temperature: 2, reduction: "mean" })
    expect(value(halved.loss)).toBeCloseTo((bkl(1, 0.5) + bkl(0.5, -0.5) + bkl(0, 0) + bkl(1, 0.5)) / 4, 5)
    disposeStats(halved)
    tf.dispose([s, t, labels])
  })

  it("matches the plain reference (mined from the teacher or the student); >= 0, and 0 when the models agree", () => {
    const labelList = [0, 0, 1, 1, 2, 2]
    fc.assert(
      fc.property(
        points(6, 2),
        points(6, 2),
        fc.constantFrom("teacher" as const, "student" as const),
        fc.constantFrom(0.5, 1, 2),
        (s, t, mineFrom, tau) => {
          noLeaks(() => {
            const [st, tt, lt] = [tf.tensor2d(s), tf.tensor2d(t), tf.tensor1d(labelList, "int32")]
            const v = TripletContrast.loss(st, tt, lt, { mineFrom, temperature: tau })
            const [ds, dt] = [float32Distances(s), float32Distances(t)]
            const ref = referenceTCL(ds, dt, labelList, mineFrom === "teacher" ? dt : ds, tau, false)
            const got = value(v.loss)
            expect(got).toBeCloseTo(ref.total, 3)
            expect(got).toBeGreaterThanOrEqual(-1e-6)
            disposeStats(v)
            const same = TripletContrast.loss(tt, tt, lt, { temperature: tau })
            expect(value(same.loss)).toBeCloseTo(0, 5)
            disposeStats(same)
            tf.dispose([st, tt, lt])
          })
        }
      ),
      { numRuns: 30 }
    )
  })

  it("MTCL is both directions on the same triplets, and symmetric when the triplets are", () => {
    const labelList = [0, 0, 1, 1, 2, 2]
    fc.assert(
      fc.property(points(6, 2), points(6, 2), (a, b) => {
        noLeaks(() => {
          const [at, bt, lt] = [tf.tensor2d(a), tf.tensor2d(b), tf.tensor1d(labelList, "int32")]
          const ab = MutualTripletContrast.loss(at, bt, lt, { mineFrom: "peer" })
          const ba = MutualTripletContrast.loss(bt, at, lt, { mineFrom: "self" })
          const [da, db] = [float32Distances(a), float32Distances(b)]
          const ref = referenceTCL(da, db, labelList, db, 1, true)
          expect(value(ab.loss)).toBeCloseTo(ref.total, 3)
          expect(value(ab.stats.fromPeer!) + value(ab.stats.toPeer!)).toBeCloseTo(ref.total, 3)
          expect(value(ba.loss)).toBeCloseTo(ref.total, 3)
          tf.dispose([...Object.values(ab.stats), ...Object.values(ba.stats), at, bt, lt])
        })
      }),
      { numRuns: 25 }
    )
  })

  it("has a finite gradient, zero into the teacher, even with duplicate embeddings", () => {
    const vs = tf.variable(
      tf.tensor2d([
        [0, 0],
        [0, 0],
        [1, 0],
        [1, 1]
      ])
    )
    const vt = tf.variable(
      tf.tensor2d([
        [0, 1],
        [0, 2],
        [3, 0],
        [1, 1]
      ])
    )
    const labels = tf.tensor1d([0, 0, 1, 1], "int32")
    const { value: v, grads } = tf.variableGrads(() => TripletContrast.loss(vs, vt, labels).loss, [vs, vt])
    expect(Object.keys(grads)).toEqual([vs.name])
    expect(Array.from(grads[vs.name]!.dataSync()).every(Number.isFinite)).toBe(true)
    tf.dispose([vs, vt, labels, v, grads[vs.name]!])
  })
})

describe("metricMutual (AlignedReID)", () => {
  it("hand-computed, symmetric, and zero gradient through the other's matrix", () => {
    // D_a = [[0, 1], [1, 0]], D_b = [[0, 3], [3, 0]]: each direction (2^2 + 2^2) / 4 = 2
    const a = tf.variable(tf.tensor2d([[0], [1]]))
    const b = tf.variable(tf.tensor2d([[0], [3]]))
    const ab = MetricMutual.loss(a, b)
    const ba = MetricMutual.loss(b, a)
    expect(value(ab.loss)).toBeCloseTo(4, 5)
    expect(value(ba.loss)).toBeCloseTo(4, 5)
    disposeStats(ab)
    disposeStats(ba)
    // d/da of both directions = d/da of the one-way term (the second term's target is detached)
    const { value: v, grads } = tf.variableGrads(() => MetricMutual.loss(a, b, { directions: "fromPeer" }).loss, [a, b])
    expect(Object.keys(grads)).toEqual([a.name])
    // L = 2 (d_ab - 3)^2 / 4 with d_ab = |a1 - a0| = 1: dL/da1 = (1 - 3) = -2, dL/da0 = 2
    expect(Array.from(grads[a.name]!.dataSync())).toEqual([2, -2].map((x) => expect.closeTo(x, 4)))
    tf.dispose([a, b, v, grads[a.name]!])
  })

  it("is symmetric and 0 exactly when the matrices agree", () => {
    fc.assert(
      fc.property(points(4, 3), points(4, 3), (a, b) => {
        noLeaks(() => {
          const [at, bt] = [tf.tensor2d(a), tf.tensor2d(b)]
          const ab = MetricMutual.loss(at, bt)
          const ba = MetricMutual.loss(bt, at)
          const [da, db] = [distances(a), distances(b)]
          const expected =
            (2 * da.reduce((s, row, i) => s + row.reduce((t, d, j) => t + (d - db[i]![j]!) ** 2, 0), 0)) / 16
          expect(value(ab.loss)).toBeCloseTo(expected, 3)
          expect(value(ba.loss)).toBeCloseTo(expected, 3)
          const same = MetricMutual.loss(at, at)
          expect(value(same.loss)).toBe(0)
          tf.dispose([...Object.values(ab.stats), ...Object.values(ba.stats), ...Object.values(same.stats), at, bt])
        })
      }),
      { numRuns: 25 }
    )
  })
})

describe("relational KD (RKD distance and angle)", () => {
  const huber = (x: number) => (Math.abs(x) < 1 ? 0.5 * x * x : Math.abs(x) - 0.5)
  const referenceD = (s: Array<Array<number>>, t: Array<Array<number>>) => {
    const norm = (x: Array<Array<number>>) => {
      const d = distances(x)
      const n = x.length
      const mu = d.flat().reduce((a, b) => a + b, 0) / (n * (n - 1))
      return d.map((row) => row.map((v) => (mu === 0 ? 0 : v / mu)))
    }
    const [ns, nt] = [norm(s), norm(t)]
    return ns.flat().reduce((acc, v, k) => acc + huber(v - nt.flat()[k]!), 0) / (s.length * s.length)
  }
  const referenceA = (s: Array<Array<number>>, t: Array<Array<number>>) => {
    const cos = (x: Array<Array<number>>, i: number, j: number, k: number) => {
      const e1 = x[i]!.map((v, d) => v - x[j]![d]!)
      const e2 = x[k]!.map((v, d) => v - x[j]![d]!)
      const n1 = Math.hypot(...e1)
      const n2 = Math.hypot(...e2)
      if (n1 === 0 || n2 === 0) return 0
      return e1.reduce((a, v, d) => a + v * e2[d]!, 0) / (n1 * n2)
    }
    const n = s.length
    let total = 0
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) total += huber(cos(s, i, j, k) - cos(t, i, j, k))
    return total / n ** 3
  }

  it("hand-computed RKD-D on three collinear points", () => {
    // student 0, 1, 2: distances 1, 2, 1 (mean 4/3) -> 0.75, 1.5, 0.75; teacher 0, 1, 4: 1, 4, 3 (mean 8/3) -> 0.375, 1.5, 1.125
    // differences 0.375, 0, -0.375 on each ordered pair: Huber 0.0703125 * 4 / 9
    const s = tf.tensor2d([[0], [1], [2]])
    const t = tf.tensor2d([[0], [1], [4]])
    expect(value(RkdDistance.loss(s, t).loss)).toBeCloseTo((4 * 0.0703125) / 9, 5)
    // angles: student at vertex 1 between 0 and 2 is 180 degrees (cos -1), teacher too: only the same shape matters
    expect(value(RkdAngle.loss(s, t).loss)).toBeCloseTo(0, 6)
    tf.dispose([s, t])
  })

  it("hand-computed RKD-A: an equilateral student against a right isosceles teacher", () => {
    // student: every angle 60 degrees (cos 0.5); teacher (0,0), (1,0), (0,1): 90 degrees at vertex 0 (cos 0), 45 at the
    // others (cos 0.707107). The 6 ordered triplets with distinct indices differ by 0.5 (twice) and -0.207107 (4
    // times); the 21 others (a repeated index) agree. Huber: (2 * 0.125 + 4 * 0.0214466) / 27
    const s = tf.tensor2d([
      [0, 0],
      [1, 0],
      [0.5, Math.sqrt(3) / 2]
    ])
    const t = tf.tensor2d([
      [0, 0],
      [1, 0],
      [0, 1]
    ])
    expect(value(RkdAngle.loss(s, t).loss)).toBeCloseTo((2 * 0.125 + 4 * 0.5 * (Math.SQRT1_2 - 0.5) ** 2) / 27, 5)
    tf.dispose([s, t])
  })

  it("have gradients that match finite differences, none into the teacher", () => {
    const s = tf.tensor2d([
      [0, 0],
      [1, 0.2],
      [3, 1],
      [0.5, 2]
    ])
    const t = tf.tensor2d([
      [0, 1],
      [4, 0],
      [1, 1],
      [0, -3]
    ])
    for (const f of [RkdDistance.loss, RkdAngle.loss]) {
      const [vs, vt] = [tf.variable(s), tf.variable(t)]
      const { value: v, grads } = tf.variableGrads(() => f(vs, vt).loss, [vs, vt])
      expect(Object.keys(grads)).toEqual([vs.name])
      const g = Array.from(grads[vs.name]!.dataSync())
      const base = s.arraySync()
      const h = 1e-2
      for (let k = 0; k < 8; k++) {
        const plus = base.map((r) => [...r])
        const minus = base.map((r) => [...r])
        plus[Math.floor(k / 2)]![k % 2]! += h
        minus[Math.floor(k / 2)]![k % 2]! -= h
        const [p, m] = [tf.tensor2d(plus), tf.tensor2d(minus)]
        expect(g[k]!).toBeCloseTo((value(f(p, t).loss) - value(f(m, t).loss)) / (2 * h), 2)
        tf.dispose([p, m])
      }
      tf.dispose([vs, vt, v, grads[vs.name]!])
    }
    tf.dispose([s, t])
  })

  // points on a 0.25 grid: an edge is 0 or at least 1/24 of the spread, where the Gram form of the angles keeps
  // float32 round-off small (it is documented to lose precision for near-duplicate points)
  const coarse = (rows: number, cols: number) =>
    points(rows, cols).map((m) => m.map((r) => r.map((v) => Math.round(v * 4) / 4)))

  it("match the plain references, and vanish under scaling (and translation, for angles)", () => {
    fc.assert(
      fc.property(coarse(4, 3), coarse(4, 3), fc.double({ min: 0.5, max: 4, noNaN: true }), (s, t, scale) => {
        noLeaks(() => {
          const [st, tt] = [tf.tensor2d(s), tf.tensor2d(t)]
          expect(value(RkdDistance.loss(st, tt).loss)).toBeCloseTo(referenceD(s, t), 3)
          expect(value(RkdAngle.loss(st, tt).loss)).toBeCloseTo(referenceA(s, t), 3)
          const moved = tf.tidy(() => tf.add(tf.mul(tt, scale), 0.7) as tf.Tensor2D)
          expect(value(RkdDistance.loss(moved, tt).loss)).toBeLessThan(1e-6)
          expect(value(RkdAngle.loss(moved, tt).loss)).toBeLessThan(1e-5)
          tf.dispose([st, tt, moved])
        })
      }),
      { numRuns: 25 }
    )
  })
})
