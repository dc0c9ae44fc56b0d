/**
 * PatchKD's losses (Sun & Mu, ACM MM 2022; feifeiobama/PatchKD e6b050a `pkd/losses/kd_loss.py`,
 * `pkd/models/patch_net.py`, `pkd/operation/train_p_s.py`): hand values, float64 loop references written from
 * the authors' `loss_fn_kd`, `loss_fn_rd` / `pdist`, `loss_fn_div` and `F.gumbel_softmax(hard=True)` on random
 * small inputs (fast-check), the gradients where the authors' detach pattern matters, typed errors, no leaks.
 */
import * as tf from "@tensorflow/tfjs-core"
import { noLeaks } from "@reidfx/tensor/testing"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PatchKd } from "../src/index.ts"
import { useCpu, value } from "./setup.ts"

useCpu()

type M = ReadonlyArray<ReadonlyArray<number>>
type T3 = ReadonlyArray<M>

const logSoftmax = (v: ReadonlyArray<number>): Array<number> => {
  const mx = Math.max(...v)
  const z = mx + Math.log(v.reduce((s, x) => s + Math.exp(x - mx), 0))
  return v.map((x) => x - z)
}

/** `loss_fn_kd(scores, targets, T)` in float64: targets' softmax zero-padded, `-sum p log q`, batch mean, T^2. */
const kdReference = (scores: M, targets: M, t: number): number =>
  (scores.reduce((total, s, n) => {
    const logQ = logSoftmax(s.map((x) => x / t))
    const p = logSoftmax(targets[n]!.map((x) => x / t)).map(Math.exp)
    return total - p.reduce((acc, pc, c) => acc + pc * logQ[c]!, 0)
  }, 0) /
    scores.length) *
  t *
  t

/** `pdist(e)` of one slice: sqrt(max(|x_i|^2 + |x_j|^2 - 2 x_i.x_j, 1e-12)), zero diagonal. */
const pdistReference = (e: M): Array<Array<number>> =>
  e.map((a, i) =>
    e.map((b, j) => {
      if (i === j) return 0
      const sq = (v: ReadonlyArray<number>) => v.reduce((s, x) => s + x * x, 0)
      const dot = a.reduce((s, x, k) => s + x * b[k]!, 0)
      return Math.sqrt(Math.max(sq(a) + sq(b) - 2 * dot, 1e-12))
    })
  )

/** `loss_fn_rd(student, teacher)` on `[S, N, C]`. */
const rdOnce = (student: T3, teacher: T3): number => {
  const norm = (x: T3) => {
    const d = x.map(pdistReference)
    const positive = d.flat(2).filter((v) => v > 0)
    const mean = positive.reduce((s, v) => s + v, 0) / positive.length
    return d.flat(2).map((v) => v / mean)
  }
  const s = norm(student)
  const t = norm(teacher)
  const huber = (x: number) => (Math.abs(x) < 1 ? 0.5 * x * x : Math.abs(x) - 0.5)
  return s.reduce((acc, v, i) => acc + huber(v - t[i]!), 0) / s.length
}

const transpose = (x: T3): Array<Array<Array<number>>> => x[0]!.map((_, k) => x.map((row) => [...row[k]!]))

/** `loss_fn_rd(P, P_old) + loss_fn_rd(P^T, P_old^T)`. */
const relationalReference = (student: T3, teacher: T3): number =>
  rdOnce(student, teacher) + rdOnce(transpose(student), transpose(teacher))

/** `loss_fn_div(features, k)`: rows image-major, L2-normalised, `(sum M - k) / (k (k - 1))` averaged over images. */
const diversityReference = (features: M, k: number): number => {
  const unit = features.map((r) => {
    const n = Math.max(Math.sqrt(r.reduce((s, x) => s + x * x, 0)), 1e-12)
    return r.map((x) => x / n)
  })
  let total = 0
  for (let b = 0; b < features.length / k; b++) {
    let sum = 0
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) sum += unit[b * k + i]!.reduce((s, x, c) => s + x * unit[b * k + j]![c]!, 0)
    total += (sum - k) / (k * (k - 1))
  }
  return total / (features.length / k)
}

const grid = (rows: number, cols: number, max = 3) =>
  fc
    .array(fc.integer({ min: -max * 10, max: max * 10 }), { minLength: rows * cols, maxLength: rows * cols })
    .map((flat) => Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols).map((v) => v / 10)))

const cube = (a: number, b: number, c: number) =>
  grid(a * b, c).map((rows) => Array.from({ length: a }, (_, i) => rows.slice(i * b, (i + 1) * b)))

describe("PatchKD's distillation (loss_fn_kd)", () => {
  it("by hand: scores [0, 0] against one old class [5], T = 2 -> T^2 ln 2 = 2.7725887", () => {
    const v = noLeaks(() => value(tf.tidy(() => PatchKd.distillation(tf.tensor2d([[0, 0]]), tf.tensor2d([[5]]), 2))))
    expect(v).toBeCloseTo(4 * Math.LN2, 5)
  })

  it("equals the loop reference of loss_fn_kd, targets zero-padded to the scores' classes (fast-check)", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        fc.infiniteStream(fc.integer({ min: -40, max: 40 })),
        (n, old, extra, t, stream) => {
          const it = stream[Symbol.iterator]()
          const take = (r: number, c: number) =>
            Array.from({ length: r }, () => Array.from({ length: c }, () => it.next().value / 10))
          const scores = take(n, old + extra)
          const targets = take(n, old)
          const v = value(tf.tidy(() => PatchKd.distillation(tf.tensor2d(scores), tf.tensor2d(targets), t)))
          expect(v).toBeCloseTo(kdReference(scores, targets, t), 4)
        }
      ),
      { numRuns: 60 }
    ))

  it("the targets are detached (no gradient path to them); more target classes than scores is a ShapeMismatch", () => {
    const s = [[0.3, -1, 2]]
    expect(() =>
      tf.tidy(() =>
        tf.grad((y: tf.Tensor) => PatchKd.distillation(tf.tensor2d(s), y as tf.Tensor2D))(tf.tensor2d([[1, 0]]))
      )
    ).toThrow(/Cannot compute gradient/)
    expect(() => tf.tidy(() => PatchKd.distillation(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 1, 2]])))).toThrow(
      expect.objectContaining({ _tag: "ShapeMismatch" })
    )
  })
})

describe("PatchKD's confidence (loss_fn_kd(z, z, T), gradient through both sides)", () => {
  it("by hand: uniform logits over 4 classes -> T^2 ln 4; one sure row -> about 0", () => {
    expect(value(tf.tidy(() => PatchKd.confidence(tf.tensor2d([[1, 1, 1, 1]]), 2)))).toBeCloseTo(4 * Math.log(4), 5)
    expect(value(tf.tidy(() => PatchKd.confidence(tf.tensor2d([[100, 0, 0]]), 2)))).toBeCloseTo(0, 5)
  })

  it("its value is loss_fn_kd(z, z) and its gradient the finite differences of the entropy (not 0, as a detached target would give)", () => {
    const z = [
      [0.5, -1, 2],
      [1, 1.5, -0.2]
    ]
    const entropy = (x: M) => kdReference(x, x, 2)
    expect(value(tf.tidy(() => PatchKd.confidence(tf.tensor2d(z), 2)))).toBeCloseTo(entropy(z), 5)
    const g = noLeaks(() =>
      tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => PatchKd.confidence(x as tf.Tensor2D, 2))(tf.tensor2d(z))
          .arraySync()
      )
    ) as Array<Array<number>>
    const h = 1e-5
    for (let i = 0; i < 2; i++)
      for (let k = 0; k < 3; k++) {
        const at = (d: number) => z.map((r, a) => r.map((v, b) => (a === i && b === k ? v + d : v)))
        const fd = (entropy(at(h)) - entropy(at(-h))) / (2 * h)
        expect(Math.abs(fd)).toBeGreaterThan(1e-3)
        expect(g[i]![k]!).toBeCloseTo(fd, 3)
      }
  })
})

describe("PatchKD's relational distance (loss_fn_rd both ways)", () => {
  it("by hand: 2 images x 2 one-dimensional patches", () => {
    const student = [
      [[0], [2]],
      [[1], [4]]
    ]
    const teacher = [
      [[0], [1]],
      [[0], [3]]
    ]
    // per image: student off-diagonals 2, 3 (mean 2.5), teacher 1, 3 (mean 2): |diff| 0.3 on 4 of 8 entries
    const perImage = (4 * 0.5 * 0.3 ** 2) / 8
    // per patch: student 1, 2 (mean 1.5); teacher patch 0 twice the same point: sqrt(1e-12), patch 1: 2
    const m = (2 * 1e-6 + 4) / 4
    const perPatch = (2 * 0.5 * (2 / 3 - 1e-6 / m) ** 2 + 2 * 0.5 * (4 / 3 - 2 / m) ** 2) / 8
    const v = noLeaks(() =>
      value(tf.tidy(() => PatchKd.relationalDistance(tf.tensor3d(student), tf.tensor3d(teacher))))
    )
    expect(v).toBeCloseTo(perImage + perPatch, 5)
    expect(relationalReference(student, teacher)).toBeCloseTo(perImage + perPatch, 10)
  })

  it("equals the loop reference on random patches (fast-check)", () =>
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 4 })
          .chain((b) => fc.integer({ min: 2, max: 3 }).chain((k) => fc.tuple(cube(b, k, 3), cube(b, k, 3)))),
        ([s, t]) => {
          const v = value(tf.tidy(() => PatchKd.relationalDistance(tf.tensor3d(s), tf.tensor3d(t))))
          expect(v).toBeCloseTo(relationalReference(s, t), 3)
        }
      ),
      { numRuns: 40 }
    ))

  it("the teacher's patches carry gradient (the authors' teacher reaches the patch network): finite differences", () => {
    const student = [
      [
        [0.5, 1],
        [2, -1],
        [0, 0.3]
      ],
      [
        [1, 1],
        [-0.5, 2],
        [1.5, 0]
      ]
    ]
    const teacher = [
      [
        [0.2, 0.9],
        [1, -1.5],
        [0.4, 0]
      ],
      [
        [1.2, 0.1],
        [-1, 1],
        [2, 0.5]
      ]
    ]
    const g = noLeaks(() =>
      tf.tidy(() =>
        tf
          .grad((x: tf.Tensor) => PatchKd.relationalDistance(tf.tensor3d(student), x as tf.Tensor3D))(
            tf.tensor3d(teacher)
          )
          .arraySync()
      )
    ) as Array<Array<Array<number>>>
    const h = 1e-4
    for (const [i, k, c] of [
      [0, 0, 0],
      [1, 2, 1],
      [0, 1, 1]
    ] as const) {
      const at = (d: number) =>
        teacher.map((r, a) => r.map((p, b) => p.map((v, e) => (a === i && b === k && e === c ? v + d : v))))
      const fd = (relationalReference(student, at(h)) - relationalReference(student, at(-h))) / (2 * h)
      expect(g[i]![k]![c]!).toBeCloseTo(fd, 3)
    }
  })
})

describe("PatchKD's diversity (loss_fn_div)", () => {
  it("by hand: orthogonal patches 0, identical patches 1, opposite patches -1 (K = 2)", () => {
    const d = (rows: Array<Array<number>>) => value(tf.tidy(() => PatchKd.diversity(tf.tensor2d(rows), 2)))
    expect(
      d([
        [1, 0],
        [0, 3]
      ])
    ).toBeCloseTo(0, 6)
    expect(
      d([
        [1, 2],
        [2, 4]
      ])
    ).toBeCloseTo(1, 6)
    expect(
      d([
        [1, 2],
        [-1, -2],
        [1, 0],
        [0, 1]
      ])
    ).toBeCloseTo((-1 + 0) / 2, 6)
  })

  it("equals the loop reference (fast-check); K < 2 or rows not a multiple of K is a ShapeMismatch", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 4 })
          .chain((k) => fc.integer({ min: 1, max: 3 }).chain((b) => grid(b * k, 3).map((rows) => [k, rows] as const))),
        ([k, rows]) => {
          const v = value(tf.tidy(() => PatchKd.diversity(tf.tensor2d(rows), k)))
          expect(v).toBeCloseTo(diversityReference(rows, k), 4)
        }
      ),
      { numRuns: 40 }
    )
    expect(() => PatchKd.diversity(tf.zeros([3, 2]) as tf.Tensor2D, 2)).toThrow(
      expect.objectContaining({ _tag: "ShapeMismatch" })
    )
    expect(() => PatchKd.diversity(tf.zeros([3, 2]) as tf.Tensor2D, 1)).toThrow(
      expect.objectContaining({ _tag: "ShapeMismatch" })
    )
  })
})

describe("PatchKD's patch sampling (hard Gumbel-softmax) and patch features", () => {
  it("one-hot at argmax(s + g); the gradient is the soft sample's (straight-through), by finite differences", () => {
    const s = [
      [
        [0, 1, 0],
        [2, 0, 0.5]
      ]
    ]
    const g = [
      [
        [0, 0, 2],
        [0, 0, 0]
      ]
    ]
    const w = [
      [
        [0.3, -1, 2],
        [1, 0.5, -0.7]
      ]
    ]
    const hard = noLeaks(() => tf.tidy(() => PatchKd.gumbelHard(tf.tensor3d(s), tf.tensor3d(g)).arraySync())) as Array<
      Array<Array<number>>
    >
    expect(hard).toEqual([
      [
        [0, 0, 1],
        [1, 0, 0]
      ]
    ])
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(PatchKd.gumbelHard(x as tf.Tensor3D, tf.tensor3d(g)), tf.tensor3d(w))))(
          tf.tensor3d(s)
        )
        .arraySync()
    ) as Array<Array<Array<number>>>
    const soft = (x: T3) =>
      x[0]!.reduce((acc, row, k) => {
        const p = logSoftmax(row.map((v, l) => v + g[0]![k]![l]!)).map(Math.exp)
        return acc + p.reduce((a, pl, l) => a + pl * w[0]![k]![l]!, 0)
      }, 0)
    const h = 1e-5
    for (let k = 0; k < 2; k++)
      for (let l = 0; l < 3; l++) {
        const at = (d: number) => [s[0]!.map((r, a) => r.map((v, b) => (a === k && b === l ? v + d : v)))]
        expect(grad[0]![k]![l]!).toBeCloseTo((soft(at(h)) - soft(at(-h))) / (2 * h), 4)
      }
  })

  it("Gumbel noise is -log(-log u); patch features are the map at the chosen locations (row-major)", () => {
    const noise = tf.tidy(() => PatchKd.gumbelNoise(new Float32Array([0.5, Math.exp(-1)]), [1, 1, 2]).arraySync())
    expect(noise[0]![0]![0]!).toBeCloseTo(-Math.log(Math.LN2), 5)
    expect(noise[0]![0]![1]!).toBeCloseTo(0, 5)
    // map [1, 2, 2, 2]: location 0 = (1, 2), 1 = (3, 4), 2 = (5, 6), 3 = (7, 8); patches at locations 3 and 1
    const p = noLeaks(() =>
      tf.tidy(() =>
        PatchKd.patchFeatures(
          tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]),
          tf.tensor3d([
            [
              [0, 0, 0, 1],
              [0, 1, 0, 0]
            ]
          ])
        ).arraySync()
      )
    )
    expect(p).toEqual([
      [
        [7, 8],
        [3, 4]
      ]
    ])
    expect(() =>
      PatchKd.patchFeatures(tf.zeros([1, 2, 2, 2]) as tf.Tensor4D, tf.zeros([1, 3, 3]) as tf.Tensor3D)
    ).toThrow(expect.objectContaining({ _tag: "ShapeMismatch" }))
  })
})
