import { describe, expect, it } from "@effect/vitest"
import { dataUri, rankedListHtml } from "../src/index.ts"
import { topRanked } from "../src/RankedList.ts"

describe("ranked lists", () => {
  const distances = Float32Array.from([0.3, 0.1, 0.2, 0.4])
  const gallery = { images: ["g0.jpg", "g1.jpg", "g2.jpg", "g3.jpg"], ids: [1, 2, 1, -1], cams: [1, 1, 0, 1] }
  const query = { images: [dataUri(Uint8Array.from([137, 80, 78, 71]))], ids: [1], cams: [0] }

  it("frames matches green, non-matches red and junk grey, in ranked order", () => {
    const top = topRanked(distances, 1, 0, gallery, { topK: 4 })
    expect(top.map((t) => [t.index, t.verdict])).toEqual([
      [1, "nonMatch"],
      [2, "junk"],
      [0, "match"],
      [3, "junk"]
    ])
    expect(topRanked(distances, 1, 0, gallery, { topK: 2, showJunk: false }).map((t) => t.index)).toEqual([1, 0])
  })

  it("without identities (a search) keeps every item, junk included, with the unknown verdict and no id captions", () => {
    const top = topRanked(distances, 1, 0, gallery, { topK: 4, labelled: false })
    expect(top.map((t) => [t.index, t.verdict])).toEqual([
      [1, "unknown"],
      [2, "unknown"],
      [0, "unknown"],
      [3, "unknown"]
    ])
    const html = rankedListHtml(distances, query, gallery, { topK: 2, labelled: false })
    expect(html.match(/<figure class="unknown">/g)?.length).toBe(2)
    expect(html).not.toMatch(/id 1 cam/)
    expect(html).toContain("identities unknown")
  })

  it("writes a self-contained page", () => {
    const html = rankedListHtml(distances, query, gallery, { topK: 3, title: "<run>" })
    expect(html).toContain("<!doctype html>")
    expect(html).toContain('src="data:image/png;base64,iVBORw=="')
    expect(html).toContain("&lt;run&gt;")
    const order = ["g1.jpg", "g2.jpg", "g0.jpg"].map((g) => html.indexOf(g))
    expect(order.every((p, k) => p > 0 && (k === 0 || p > order[k - 1]!))).toBe(true)
    expect(html).not.toContain("g3.jpg")
    expect(html).toMatch(/class="nonMatch"><img src="g1\.jpg"/)
    expect(html).toMatch(/class="match"><img src="g0\.jpg"/)
    expect(() => rankedListHtml(distances, query, { ...gallery, ids: [1] })).toThrow(
      expect.objectContaining({ _tag: "LengthMismatch" })
    )
  })
})
