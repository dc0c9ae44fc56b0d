import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Chart from "../src/Chart.ts"

describe("Chart: Vega-Lite specs to static SVG", () => {
  it("niceTicks: hand-computed ticks, and the default for no data", () => {
    expect(Chart.niceTicks(87)).toEqual([0, 20, 40, 60, 80, 100])
    expect(Chart.niceTicks(45)).toEqual([0, 10, 20, 30, 40, 50])
    expect(Chart.niceTicks(5)).toEqual([0, 1, 2, 3, 4, 5])
    expect(Chart.niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3])
    expect(Chart.niceTicks(0)).toEqual([0, 0.25, 0.5, 0.75, 1])
    expect(Chart.niceTicks(Number.NaN)).toEqual([0, 0.25, 0.5, 0.75, 1])
  })

  it("niceTicks: starts at 0, covers max with at most 5 equal round steps", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (max) => {
        const ticks = Chart.niceTicks(max)
        const step = ticks[1]! - ticks[0]!
        const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6))
        return (
          ticks[0] === 0 &&
          ticks[ticks.length - 1]! >= max * (1 - 1e-9) &&
          ticks.length - 1 <= 5 &&
          [1, 2, 5, 10].includes(mantissa)
        )
      })
    )
  })

  it("toSvg renders a bar per datum, with no script; figure marks the chart and escapes its name", async () => {
    const svg = await Effect.runPromise(
      Chart.toSvg({
        data: {
          values: [
            { x: "a", y: 1 },
            { x: "b", y: 3 },
            { x: "c", y: 2 }
          ]
        },
        mark: "bar",
        encoding: { x: { field: "x", type: "nominal" }, y: { field: "y", type: "quantitative" } }
      })
    )
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg).not.toMatch(/<script/)
    const bars = svg.match(/<g class="mark-rect role-mark[^>]*>([\s\S]*?)<\/g>/)?.[1] ?? ""
    expect(bars.match(/<path /g)?.length).toBe(3)
    expect(Chart.figure({ name: 'a<b"', points: 3, svg: "<svg/>" })).toBe(
      '<figure class="chart" data-chart="a&lt;b&quot;" data-points="3"><svg/></figure>'
    )
  })
})
