import { noLeaks } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Distance } from "../src/index.ts"
import { cos, emb, l2, sq, useCpu } from "./helpers.ts"

useCpu()

const x = [
  [0, 0],
  [3, 4],
  [1, 0]
]
const y = [
  [0, 1],
  [3, 4]
]

describe("Distance", () => {
  it("euclidean, squared euclidean and cosine match hand values", () =>
    noLeaks(() => {
      tf.tidy(() => {
        const a = emb(x)
        const b = emb(y)
        const e = Distance.euclidean.matrix(a, b).arraySync()
        const s = Distance.squaredEuclidean.matrix(a, b).arraySync()
        const c = Distance.cosine.matrix(a, b).arraySync()
        for (let i = 0; i < x.length; i++)
          for (let j = 0; j < y.length; j++) {
            expect(e[i]![j]).toBeCloseTo(l2(x[i]!, y[j]!), 5)
            expect(s[i]![j]).toBeCloseTo(sq(x[i]!, y[j]!), 4)
            expect(c[i]![j]).toBeCloseTo(1 - cos(x[i]!, y[j]!), 5)
          }
        // e.g. |(3,4) - (0,1)| = sqrt(18); cosine distance of (1,0) and (3,4) = 1 - 3/5
        expect(e[1]![0]).toBeCloseTo(Math.sqrt(18), 5)
        expect(c[2]![1]).toBeCloseTo(0.4, 5)
        // a zero row has cosine similarity 0 (distance 1), not NaN
        expect(c[0]![0]).toBeCloseTo(1, 6)
      })
    }))

  it("self distances have an exactly zero diagonal", () =>
    noLeaks(() => {
      tf.tidy(() => {
        const a = emb([
          [0.1, 0.2, 0.3],
          [100.1, -50.3, 7.7],
          [0.1, 0.2, 0.3]
        ])
        const d = Distance.euclidean.matrix(a).arraySync()
        expect([d[0]![0], d[1]![1], d[2]![2]]).toEqual([0, 0, 0])
        expect(Distance.squaredEuclidean.matrix(a).arraySync()[1]![1]).toBe(0)
      })
    }))

  it("the euclidean gradient at zero distance is 0, never NaN (duplicates, zero embeddings)", () =>
    noLeaks(() => {
      for (const rows of [
        [
          [1, 2],
          [1, 2],
          [3, 1]
        ],
        [
          [0, 0],
          [0, 0],
          [0, 0]
        ]
      ]) {
        const g = tf.tidy(() =>
          tf
            .grad((t: tf.Tensor) => tf.sum(Distance.euclidean.matrix(t as tf.Tensor2D)))(emb(rows))
            .arraySync()
        ) as Array<Array<number>>
        for (const r of g) for (const v of r) expect(Number.isFinite(v)).toBe(true)
        if (rows[0]![0] === 0) expect(g.flat().every((v) => v === 0)).toBe(true)
      }
      // and for cosine and normalised euclidean on zero vectors
      for (const d of [Distance.cosine, Distance.withNormalize(Distance.euclidean)]) {
        const g = tf.tidy(() =>
          tf
            .grad((t: tf.Tensor) => tf.sum(d.matrix(t as tf.Tensor2D)))(
              emb([
                [0, 0],
                [1, 1],
                [1, 1]
              ])
            )
            .dataSync()
        )
        expect(Array.from(g).every(Number.isFinite)).toBe(true)
      }
    }))

  it("the euclidean gradient is the exact derivative away from zero", () =>
    noLeaks(() => {
      // d|a - b|/da = (a - b) / |a - b|
      const g = tf.tidy(() =>
        tf
          .grad((t: tf.Tensor) => tf.sum(Distance.euclidean.matrix(t as tf.Tensor2D, emb([[0, 0]]))))(emb([[3, 4]]))
          .dataSync()
      )
      expect(g[0]).toBeCloseTo(0.6, 5)
      expect(g[1]).toBeCloseTo(0.8, 5)
    }))

  it("cosine distance is invariant to scaling embeddings by positive factors", () =>
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 2,
          maxLength: 5
        }),
        fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 5, maxLength: 5 }),
        (rows, scales) => {
          const rs = rows.map((r) => (r.every((v) => Math.abs(v) < 1e-3) ? [1, 0, 0] : r))
          noLeaks(() =>
            tf.tidy(() => {
              const a = Distance.cosine.matrix(emb(rs)).dataSync()
              const b = Distance.cosine.matrix(emb(rs.map((r, i) => r.map((v) => v * scales[i]!)))).dataSync()
              for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-5)
            })
          )
        }
      ),
      { numRuns: 40 }
    ))

  it("L2 normalisation: unit rows, zero rows stay zero", () =>
    noLeaks(() => {
      const n = tf.tidy(() =>
        Distance.l2Normalize(
          emb([
            [3, 4],
            [0, 0]
          ])
        ).arraySync()
      )
      expect(n[0]![0]).toBeCloseTo(0.6, 6)
      expect(n[0]![1]).toBeCloseTo(0.8, 6)
      expect(n[1]).toEqual([0, 0])
      const d = tf.tidy(() =>
        Distance.make("euclidean", { normalize: true })
          .matrix(
            emb([[3, 4]]),
            emb([
              [6, 8],
              [-3, -4]
            ])
          )
          .dataSync()
      )
      expect(d[0]).toBeCloseTo(0, 3)
      expect(d[1]).toBeCloseTo(2, 5)
    }))

  it("blocked matrices equal the full matrix and free their blocks", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(...(["euclidean", "squaredEuclidean", "cosine"] as const)),
        (blockSize, name) => {
          noLeaks(() => {
            const q = tf.tidy(() => tf.randomNormal([11, 4], 0, 1, "float32", 7)) as tf.Tensor2D
            const r = tf.tidy(() => tf.randomNormal([6, 4], 0, 1, "float32", 8)) as tf.Tensor2D
            const d = Distance.make(name)
            const full = d.matrix(q, r)
            const blocked = Distance.blocked(d, q, r, { blockSize })
            expect(blocked.shape).toEqual([11, 6])
            const a = full.dataSync()
            const b = blocked.dataSync()
            for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-4)
            tf.dispose([q, r, full, blocked])
          })
        }
      ),
      { numRuns: 15 }
    ))

  it("forEachBlock streams row blocks with their offsets", () =>
    noLeaks(() => {
      const q = emb([
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0]
      ])
      const r = emb([[0, 0]])
      const seen: Array<readonly [number, Array<number>]> = []
      Distance.forEachBlock(
        Distance.euclidean,
        q,
        r,
        (block, start) => seen.push([start, Array.from(block.dataSync())]),
        { blockSize: 2 }
      )
      expect(seen).toEqual([
        [0, [0, 1]],
        [2, [2, 3]],
        [4, [4]]
      ])
      tf.dispose([q, r])
    }))

  it("mismatched dimensions are a ShapeMismatch naming the inputs", () => {
    tf.tidy(() => {
      expect(() => Distance.euclidean.matrix(emb([[1, 2]]), emb([[1, 2, 3]]))).toThrow(
        /refs: expected shape \[\*, 2\], got \[1, 3\]/
      )
    })
  })
})
