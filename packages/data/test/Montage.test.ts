import { describe, expect, it } from "@effect/vitest"
import { Montage } from "../src/index.ts"

const solid = (h: number, w: number, v: number) => ({ height: h, width: w, data: new Uint8Array(h * w * 3).fill(v) })

describe("Montage.rankedRows (torchreid visrank grid)", () => {
  it("places the query, the gap and the ranked tiles as torchreid does, frames painted over the edges", () => {
    const rows = [
      [
        { image: solid(4, 3, 50), frame: Montage.frameColours.query },
        { image: solid(8, 6, 100), frame: Montage.frameColours.match },
        { image: solid(4, 3, 100), frame: Montage.frameColours.nonMatch }
      ],
      [{ image: solid(4, 3, 70), frame: Montage.frameColours.query }]
    ]
    const m = Montage.rankedRows(rows, { height: 5, width: 3, border: 1, spacing: 1, queryGap: 2 })
    // width = 3 tiles x 3 + 2 spacings + the query gap; height = 2 rows x 5 + 1 spacing
    expect([m.height, m.width]).toEqual([11, 3 * 3 + 2 + 2])
    const px = (y: number, x: number) => Array.from(m.data.subarray((y * m.width + x) * 3, (y * m.width + x) * 3 + 3))
    expect(px(0, 0)).toEqual([0, 0, 0]) // query frame
    expect(px(2, 1)).toEqual([50, 50, 50]) // query interior
    expect(px(2, 3)).toEqual([255, 255, 255]) // spacing + gap: x = 3..5
    expect(px(2, 5)).toEqual([255, 255, 255])
    expect(px(0, 6)).toEqual([0, 255, 0]) // first gallery tile at x = 1 * (3 + 1) + 2 = 6, match frame
    expect(px(2, 7)).toEqual([100, 100, 100]) // its interior (resized from 8 x 6)
    expect(px(4, 10)).toEqual([255, 0, 0]) // second tile at x = 2 * 4 + 2 = 10, non-match frame
    expect(px(5, 0)).toEqual([255, 255, 255]) // row spacing
    expect(px(8, 1)).toEqual([70, 70, 70]) // second row's query interior at y = 6 + 2
    expect(px(8, 7)).toEqual([255, 255, 255]) // the second row has no gallery tile
  })

  it("defaults to torchreid's constants: 256 x 128 tiles, border 5, spacing 10, query gap 90", () => {
    const m = Montage.rankedRows([
      [
        { image: solid(2, 2, 9), frame: Montage.frameColours.query },
        { image: solid(2, 2, 9), frame: Montage.frameColours.junk }
      ]
    ])
    expect([m.height, m.width]).toEqual([256, 2 * 128 + 10 + 90])
    const at = (y: number, x: number) => Array.from(m.data.subarray((y * m.width + x) * 3, (y * m.width + x) * 3 + 3))
    expect(at(4, 4)).toEqual([0, 0, 0])
    expect(at(5, 5)).toEqual([9, 9, 9])
    expect(at(4, 228 + 4)).toEqual([160, 160, 160])
  })
})
