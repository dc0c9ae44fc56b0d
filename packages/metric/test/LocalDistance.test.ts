import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { AlignedTriplet, LocalDistance } from "../src/index.ts"
import { l2, lab, num, relu, useCpu } from "./helpers.ts"

/** float32 against a float64 reference: a relative tolerance (a sum of 2H - 1 path cells of tanh values accumulates
 * float32 rounding of ~1e-7 per cell, so an absolute 5e-5 on a distance near 2 was flaky). */
const nearF32 = (got: number, want: number): void => {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want)))
}

useCpu()

type Stripes = Array<Array<number>>

/** Every monotone (down / right) path from (0, 0) to (h-1, w-1), as lists of cells. */
const monotonePaths = (h: number, w: number): Array<Array<[number, number]>> => {
  const out: Array<Array<[number, number]>> = []
  const walk = (i: number, j: number, path: Array<[number, number]>) => {
    const here = [...path, [i, j] as [number, number]]
    if (i === h - 1 && j === w - 1) return void out.push(here)
    if (i + 1 < h) walk(i + 1, j, here)
    if (j + 1 < w) walk(i, j + 1, here)
  }
  walk(0, 0, [])
  return out
}

/** Brute force: the minimum over every monotone path of the sum of its cells. */
const bruteShortest = (d: Array<Array<number>>): number =>
  Math.min(...monotonePaths(d.length, d[0]!.length).map((p) => p.reduce((s, [i, j]) => s + d[i]![j]!, 0)))

const unit = (v: ReadonlyArray<number>) => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0))
  return n < 1e-12 ? [...v] : v.map((x) => x / n)
}
const tanhHalf = (d: number) => (Math.exp(d) - 1) / (Math.exp(d) + 1)

/** Reference local distance between two stripe sequences: normalise stripes, element-wise distance, brute-force path. */
const refLocal = (a: Stripes, b: Stripes, normalize = true) => {
  const [x, y] = normalize ? [a.map(unit), b.map(unit)] : [a, b]
  return bruteShortest(x.map((f) => y.map((g) => tanhHalf(l2(f, g)))))
}

const grid = (rows: number, cols: number, max = 2) =>
  fc.array(
    fc.array(
      fc.integer({ min: -max * 100, max: max * 100 }).map((v) => v / 100),
      { minLength: cols, maxLength: cols }
    ),
    { minLength: rows, maxLength: rows }
  )

describe("LocalDistance (AlignedReID)", () => {
  it("normalises by (e^d - 1) / (e^d + 1)", () => {
    const d = tf.tensor1d([0, 1, 3, 30])
    const got = Array.from(LocalDistance.normalizeDistance(d).dataSync())
    expect(got[0]).toBe(0)
    expect(got[1]).toBeCloseTo(tanhHalf(1), 6)
    expect(got[2]).toBeCloseTo(tanhHalf(3), 6)
    expect(got[3]).toBeCloseTo(1, 6)
    d.dispose()
  })

  it("hand-computed shortest path on a 3 x 3 matrix", () => {
    // paths: the cheapest is 1 -> 1 (right) -> 0 (down) -> 1 (down)? cells (0,0)=1,(0,1)=1,(1,1)=0,(2,1)=5... see values
    const m = [
      [1, 1, 9],
      [9, 0, 9],
      [9, 1, 1]
    ]
    const t = tf.tensor2d(m)
    expect(num(LocalDistance.shortestPath(t))).toBeCloseTo(4, 6) // (0,0) (0,1) (1,1) (2,1) (2,2): 1 + 1 + 0 + 1 + 1
    expect(bruteShortest(m)).toBe(4)
    t.dispose()
  })

  it("the DP equals brute-force enumeration of monotone paths (rectangular, batched)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 32, maxLength: 32 }),
        (h, w, flat) => {
          const before = tf.memory().numTensors
          const mats = [0, 1].map((k) =>
            Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => flat[k * 16 + i * w + j]!))
          )
          const t = tf.tensor3d(mats)
          const out = LocalDistance.shortestPath(t)
          const got = Array.from(out.dataSync())
          mats.forEach((m, k) => {
            expect(got[k]).toBeCloseTo(bruteShortest(m), 5)
          })
          tf.dispose([t, out])
          expect(tf.memory().numTensors).toBe(before)
        }
      ),
      { numRuns: 60 }
    )
  })

  it("matrix(q, g) matches the reference (stripe normalisation, tanh(d/2), brute-force path); pairs() its entries; blocked() the same", () => {
    fc.assert(
      fc.property(
        fc.array(grid(3, 2), { minLength: 3, maxLength: 3 }),
        fc.array(grid(3, 2), { minLength: 2, maxLength: 2 }),
        (qs, gs) => {
          const before = tf.memory().numTensors
          const [q, g] = [tf.tensor3d(qs), tf.tensor3d(gs)]
          const m = LocalDistance.matrix(q, g)
          const got = m.arraySync()
          qs.forEach((a, i) => {
            gs.forEach((b, j) => {
              nearF32(got[i]![j]!, refLocal(a, b))
            })
          })
          const blocked = LocalDistance.blocked(q, g, { queryBlock: 2, galleryBlock: 1 })
          Array.from(blocked).forEach((v, k) => {
            nearF32(v, got.flat()[k]!)
          })
          const all = tf.concat([q, g]) as tf.Tensor3D
          const p = LocalDistance.pairs(all, Int32Array.from([0, 2, 1]), Int32Array.from([3, 4, 1]))
          const pv = Array.from(p.dataSync())
          nearF32(pv[0]!, got[0]![0]!)
          nearF32(pv[1]!, got[2]![1]!)
          nearF32(pv[2]!, refLocal(qs[1]!, qs[1]!)) // an item with itself: not 0 (a path of 2H - 1 cells leaves the diagonal)
          tf.dispose([q, g, m, all, p])
          expect(tf.memory().numTensors).toBe(before)
        }
      ),
      { numRuns: 25 }
    )
  })

  it("absorbs a shift of stripes: a person one stripe lower costs at most one unmatched stripe more than the person itself", () => {
    // body parts span two stripes each (as parts of a real image span several rows of the feature map)
    fc.assert(
      fc.property(fc.array(grid(1, 3, 5), { minLength: 3, maxLength: 3 }), grid(1, 3, 5), (parts, extra) => {
        const f = parts.flatMap((p) => [p[0]!, p[0]!])
        const g = [...f.slice(1), extra[0]!] // seen one stripe lower, a new stripe at the bottom
        const [ft, gt] = [tf.tensor3d([f]), tf.tensor3d([g])]
        const self = num(LocalDistance.matrix(ft))
        const shifted = num(LocalDistance.matrix(ft, gt))
        expect(shifted).toBeCloseTo(refLocal(f, g), 2)
        expect(shifted).toBeLessThanOrEqual(self + 1 + 1e-5)
        // and symmetric: the transposed matrix has the transposed paths
        expect(num(LocalDistance.matrix(gt, ft))).toBeCloseTo(shifted, 4)
        tf.dispose([ft, gt])
      }),
      { numRuns: 40 }
    )
  })

  it("hand-computed shift: parts A A B B C C against A B B C C X", () => {
    // unit stripes: A = e1, B = e2, C = e3, X = -e1; |A - B| = sqrt 2, |C - X| = sqrt 2
    const [A, B, C, X] = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [-1, 0, 0]
    ]
    const f = tf.tensor3d([[A, A, B, B, C, C]])
    const g = tf.tensor3d([[A, B, B, C, C, X]])
    const t = tanhHalf(Math.SQRT2)
    // the path A-A, A-A, A-B, B-B, B-B, B-B, B-C, C-C, C-C, C-C, C-X costs 3 t; the person against itself 2 t
    expect(num(LocalDistance.matrix(f, g))).toBeCloseTo(3 * t, 5)
    expect(num(LocalDistance.matrix(f))).toBeCloseTo(2 * t, 5)
    tf.dispose([f, g])
  })

  it("is differentiable: gradients reach the stripes and match finite differences", () => {
    const x = tf.tensor3d([
      [
        [1, 0.2],
        [0.3, 1],
        [0.5, -1]
      ],
      [
        [0.9, 0.5],
        [-0.2, 1],
        [1, -0.4]
      ]
    ])
    const rows = Int32Array.from([0])
    const cols = Int32Array.from([1])
    const f = (t: tf.Tensor) => tf.sum(LocalDistance.pairs(t as tf.Tensor3D, rows, cols)) as tf.Scalar
    const g = tf.grad(f)(x)
    const grads = g.dataSync()
    const base = x.dataSync()
    const eps = 1e-2
    for (const k of [0, 3, 7, 10]) {
      const plus = Float32Array.from(base)
      const minus = Float32Array.from(base)
      plus[k]! += eps
      minus[k]! -= eps
      const [tp, tm] = [tf.tensor3d(plus, [2, 3, 2]), tf.tensor3d(minus, [2, 3, 2])]
      const numeric = (num(f(tp)) - num(f(tm))) / (2 * eps)
      expect(grads[k]).toBeCloseTo(numeric, 2)
      tf.dispose([tp, tm])
    }
    tf.dispose([x, g])
  })
})

describe("alignedTriplet (global + local hard triplets, mined by the global distance)", () => {
  const refAligned = (
    global: Array<Array<number>>,
    local: Array<Stripes>,
    y: Array<number>,
    mg: number,
    ml: number,
    wl: number
  ) => {
    const gn = global.map(unit)
    let gsum = 0
    let lsum = 0
    let n = 0
    for (let a = 0; a < y.length; a++) {
      let p = -1
      let q = -1
      for (let j = 0; j < y.length; j++) {
        if (j === a) continue
        const d = l2(gn[a]!, gn[j]!)
        if (y[j] === y[a]) {
          if (p < 0 || d > l2(gn[a]!, gn[p]!)) p = j
        } else if (q < 0 || d < l2(gn[a]!, gn[q]!)) q = j
      }
      if (p < 0 || q < 0) continue
      gsum += relu(l2(gn[a]!, gn[p]!) - l2(gn[a]!, gn[q]!) + mg)
      lsum += relu(refLocal(local[a]!, local[p]!) - refLocal(local[a]!, local[q]!) + ml)
      n++
    }
    return { global: gsum / n, local: lsum / n, total: gsum / n + (wl * lsum) / n }
  }

  it("matches the reference: batch-hard on normalised global features, the same triplets' local distances", () => {
    const y = [0, 0, 1, 1, 2, 2]
    fc.assert(
      fc.property(
        grid(6, 3),
        fc.array(grid(3, 2), { minLength: 6, maxLength: 6 }),
        fc.constantFrom(0.3, 0.5),
        fc.constantFrom(0.5, 1),
        (g, l, margin, wl) => {
          const before = tf.memory().numTensors
          const [gt, lt, yt] = [tf.tensor2d(g), tf.tensor3d(l), lab(y)]
          const v = AlignedTriplet.loss(gt, lt, yt, { globalMargin: margin, localMargin: margin, localWeight: wl })
          const ref = refAligned(g, l, y, margin, margin, wl)
          expect(num(v.stats.globalLoss!)).toBeCloseTo(ref.global, 3)
          expect(num(v.stats.localLoss!)).toBeCloseTo(ref.local, 3)
          expect(num(v.loss)).toBeCloseTo(ref.total, 3)
          tf.dispose([gt, lt, yt, v.loss, ...Object.values(v.stats)])
          expect(tf.memory().numTensors).toBe(before)
        }
      ),
      { numRuns: 20 }
    )
  })

  it("localMining 'own' mines by the local distance instead (differs from global mining on a crafted batch)", () => {
    // global features make item 1 the hard positive of 0 globally; locally item 0 and 1 are identical
    const g = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 0.1],
      [0.9, 0]
    ])
    const l = tf.tensor3d([
      [
        [1, 0],
        [0, 1]
      ],
      [
        [1, 0],
        [0, 1]
      ],
      [
        [0, 1],
        [1, 0]
      ],
      [
        [1, 0],
        [0, 1]
      ]
    ])
    const y = lab([0, 0, 1, 1])
    const own = AlignedTriplet.loss(g, l, y, { localMining: "own" })
    const glob = AlignedTriplet.loss(g, l, y)
    expect(num(own.stats.globalLoss!)).toBeCloseTo(num(glob.stats.globalLoss!), 6)
    // own mining picks the locally hardest pairs, so its local loss is at least the global-mined one
    expect(num(own.stats.localLoss!)).toBeGreaterThanOrEqual(num(glob.stats.localLoss!) - 1e-6)
    tf.dispose([g, l, y, own.loss, glob.loss, ...Object.values(own.stats), ...Object.values(glob.stats)])
  })
})
