import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as AttributeSearch from "../src/AttributeSearch.ts"
import { topK } from "../src/Identification.ts"

describe("attribute-filtered search", () => {
  // 4 gallery items x 3 attributes (logits): item 0 (+, -, +), 1 (+, +, -), 2 (-, -, +), 3 (+, -, -)
  const scores = [2, -1, 3, 0.5, 4, -2, -3, -1, 1, 1, -0.5, -0.1]
  it("keeps the items whose predicted attributes agree with every constraint (by hand)", () => {
    expect(Array.from(AttributeSearch.satisfying(scores, 3, [[0, 1]]))).toEqual([1, 1, 0, 1])
    expect(
      Array.from(
        AttributeSearch.satisfying(scores, 3, [
          [0, 1],
          [1, 0]
        ])
      )
    ).toEqual([1, 0, 0, 1])
    expect(
      Array.from(
        AttributeSearch.satisfying(scores, 3, [
          [0, 1],
          [1, 0],
          [2, 1]
        ])
      )
    ).toEqual([1, 0, 0, 0])
    expect(Array.from(AttributeSearch.satisfying(scores, 3, []))).toEqual([1, 1, 1, 1])
    // a threshold on probabilities instead of logits
    expect(Array.from(AttributeSearch.satisfying([0.9, 0.2, 0.6, 0.4], 1, [[0, 1]], 0.5))).toEqual([1, 0, 1, 0])
  })
  it("ranks the kept items by distance, with the gallery's own indices (by hand)", () => {
    // 2 queries x 4 gallery
    const d = [0.4, 0.1, 0.3, 0.2, 0.9, 0.8, 0.7, 0.6]
    const keep = AttributeSearch.satisfying(scores, 3, [[0, 1]]) // items 0, 1, 3
    const out = AttributeSearch.search(d, 2, 4, keep, 2)
    expect(out[0]!.indices).toEqual([1, 3])
    expect(out[0]!.distances.map((x) => Math.round(x * 10) / 10)).toEqual([0.1, 0.2])
    expect(out[1]!.indices).toEqual([3, 1])
    expect(AttributeSearch.search(d, 2, 4, [0, 0, 0, 0], 3)).toEqual([
      { indices: [], distances: [] },
      { indices: [], distances: [] }
    ])
  })
  it("property: the filtered ranking is the unfiltered ranking with the removed items taken out", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.infiniteStream(fc.double({ min: 0, max: 10, noNaN: true })),
        fc.infiniteStream(fc.boolean()),
        (q, g, ds, ks) => {
          const d = Array.from({ length: q * g }, () => ds.next().value as number)
          const keep = Array.from({ length: g }, () => ks.next().value as boolean)
          const filtered = AttributeSearch.search(d, q, g, keep, g)
          const full = topK(d, q, g, g)
          filtered.forEach((c, i) => {
            expect(c.indices).toEqual(full[i]!.indices.filter((j) => keep[j]))
          })
        }
      ),
      { numRuns: 100 }
    )
  })
  it("bad input: typed errors with the fix", () => {
    expect(() => AttributeSearch.satisfying(scores, 3, [[3, 1]])).toThrow(/attribute must be 0\.\.2/)
    expect(() => AttributeSearch.satisfying(scores, 5, [])).toThrow(/attribute scores/)
    expect(() => AttributeSearch.search([1, 2], 1, 2, [1], 1)).toThrow(/gallery filter: expected length 2, got 1/)
  })
})
