import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Charts, Html, Json, Markdown, Report, Runner, Svg, Table } from "@reidfx/continual"
import { Chart } from "@reidfx/chart"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as fc from "fast-check"
import { fakeBenchmark, fakeLearner } from "./fixtures.ts"

const { chartSpecs, toHtml } = Html
const { toJson } = Json
const { toMarkdown } = Markdown
const { niceTicks } = Svg
const { renderText, resultsTable, toText } = Table

const chromium = "/usr/bin/chromium"

const result = Effect.runSync(
  Effect.gen(function* () {
    const protocol = yield* ProtocolFile.make({
      name: "fake-report",
      description: "a <fake> run",
      data: { split: { kind: "intraDomain", tasks: 3 } },
      methods: ["joint", "bot-ft", "lwf", "dwpp", "dwopp"],
      seeds: [0, 1, 2]
    })
    return yield* Runner.run(protocol)
  }).pipe(Effect.provide(Layer.merge(fakeBenchmark(3), fakeLearner())))
)

describe("reports", () => {
  it("the results table has the seed's layout: mAP and Rank-1, each per task, seen avg. and unseen", () => {
    const table = resultsTable(result)
    expect(table.groups.map((g) => g.title)).toEqual(["", "mAP", "Rank-1"])
    expect(table.columns).toEqual([
      "method",
      "task-1",
      "task-2",
      "task-3",
      "seen avg.",
      "unseen",
      "task-1",
      "task-2",
      "task-3",
      "seen avg.",
      "unseen"
    ])
    expect(table.rows.map((r) => r[0])).toEqual(["Joint", "BoT-FT", "LwF", "DwPP", "DwoPP"])
    // three seeds: mean ± std
    expect(table.rows[1]![1]).toMatch(/^\d+\.\d ± \d+\.\d$/)
    const text = renderText(table)
    const lines = text.split("\n")
    expect(lines[1]!.length).toBe(lines[3]!.length) // aligned
    expect(toText(result)).toContain("forgetting")
    expect(toText(result)).toContain("DwoPP - DwPP")
    expect(toText(result)).toContain("LwF - BoT-FT")
  })

  it("the seen average in the table is the mean of the task columns (per seed, then over seeds)", () => {
    const json = toJson(result)
    const ft = json.summaries.find((s) => s.method === "bot-ft")!
    const perTask = ["task-1", "task-2", "task-3"].map((t) => ft.final[t]!["mAP"]!.mean)
    expect(ft.seenAverage["mAP"]!.mean).toBeCloseTo(perTask.reduce((a, b) => a + b, 0) / 3, 10)
  })

  it("Markdown and JSON carry the table, the matrices and the definitions", () => {
    const md = toMarkdown(result)
    expect(md).toContain("| method | mAP task-1 |")
    expect(md).toContain("### DwoPP")
    const json = JSON.parse(JSON.stringify(toJson(result))) as ReturnType<typeof toJson>
    expect(json.definitions.forgetting).toContain("Chaudhry")
    expect(json.cells.length).toBe(result.cells.length)
    expect((json.protocol as { readonly name: string }).name).toBe("fake-report")
  })

  it("the HTML is self-contained: no script, no external URL, two figures drawn by Vega-Lite", async () => {
    const html = await Effect.runPromise(toHtml(result))
    // the only URLs are the SVG / XLink namespace names Vega writes
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/(2000\/svg|1999\/xlink))/)
    expect(html).toContain("&lt;fake&gt;")
    expect((html.match(/<svg /g) ?? []).length).toBe(2) // the task-sequence figure and the matrices
    // every measured point is drawn: a symbol per (metric, panel, method, position) with a value, a labelled
    // cell per matrix entry
    const specs = chartSpecs(result)
    const measured = specs.taskSequence.flatMap((m) =>
      m.panels.flatMap((p) => p.series.flatMap((s) => s.values.filter((v) => v !== undefined)))
    ).length
    expect(measured).toBeGreaterThan(100)
    expect(specs.points.sequence).toBe(measured)
    const [sequence, matrices] = html.match(/<figure class="chart"[\s\S]*?<\/figure>/g)!
    expect(sequence).toContain(`data-chart="task-sequence" data-points="${measured}"`)
    const symbols = [...sequence!.matchAll(/<g class="mark-symbol role-mark[^>]*>([\s\S]*?)<\/g>/g)]
    expect(symbols.map((m) => m[1]!.match(/<path /g)?.length ?? 0).reduce((a, b) => a + b, 0)).toBe(measured)
    const cells = [...matrices!.matchAll(/aria-roledescription="text mark"[^>]*>([^<]+)<\/text>/g)]
    expect(matrices).toContain(`data-chart="matrices" data-points="${cells.length}"`)
    expect(cells.length).toBeGreaterThan(50)
  })

  it("a missing value breaks the line: points only where measured, no segment across the gap", async () => {
    const spec = Charts.taskSequenceSpec({
      xLabels: ["a", "b", "c"],
      methods: ["m"],
      metrics: [{ name: "y", panels: [{ title: "t", series: [{ name: "m", values: [1, undefined, 3] }] }] }]
    })
    const svg = await Effect.runPromise(Chart.toSvg(spec))
    const symbols = svg.match(/<g class="mark-symbol role-mark[^>]*>([\s\S]*?)<\/g>/)![1]!
    expect(symbols.match(/<path /g)).toHaveLength(2)
    // the line of the one series: two one-point sub-paths (M only), never an L joining a to c
    const line = svg.match(/<g class="mark-line role-mark[^>]*>([\s\S]*?)<\/g>/)![1]!
    expect(line).not.toMatch(/d="M[^"]*L/)
  })

  it.skipIf(!existsSync(chromium))(
    "the HTML report renders in headless Chromium: plots with data, no console errors, no network",
    async () => {
      const { chromium: launcher } = await import("playwright-core")
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-report-"))
      const files = await Effect.runPromise(Report.write(dir, result))
      const browser = await launcher.launch({
        executablePath: chromium,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run"
        ]
      })
      try {
        const page = await browser.newPage()
        const errors: Array<string> = []
        const requests: Array<string> = []
        page.on("console", (msg) => {
          if (msg.type() === "error") errors.push(msg.text())
        })
        page.on("pageerror", (e) => errors.push(String(e)))
        page.on("request", (r) => requests.push(r.url()))
        await page.goto(`file://${files.html}`)
        expect(await page.title()).toContain("fake-report")
        const charts = await page.$$eval("figure.chart", (figures) =>
          figures.map((f) => {
            const box = f.querySelector("svg")!.getBoundingClientRect()
            return {
              width: box.width,
              height: box.height,
              points: Number(f.getAttribute("data-points")),
              symbols: f.querySelectorAll(".mark-symbol.role-mark path").length,
              cells: f.querySelectorAll(".mark-rect.role-mark path").length,
              lines: f.querySelectorAll(".mark-line path").length,
              legends: f.querySelectorAll(".role-legend").length
            }
          })
        )
        expect(charts.map((c) => c.legends)).toEqual([1, 1]) // one legend of the methods, one colour bar
        const [sequence, matrices] = charts
        expect(sequence!.width).toBeGreaterThan(600)
        expect(sequence!.height).toBeGreaterThan(400)
        expect(sequence!.symbols).toBe(sequence!.points)
        expect(sequence!.points).toBeGreaterThan(100)
        expect(sequence!.lines).toBe(2 * 5 * 5) // 2 metrics x 5 panels x 5 methods
        expect(matrices!.cells).toBe(matrices!.points) // a coloured cell per measured entry
        expect(matrices!.points).toBeGreaterThan(50)
        // results, forgetting, paired differences, the seed's claims, methods
        expect(await page.$$eval("table", (ts) => ts.length)).toBe(5)
        expect(errors).toEqual([])
        expect(requests.filter((u) => !u.startsWith("file://"))).toEqual([])
        // the screenshot is not blank: read its pixels back in a second page (a canvas) and count the inked ones
        const png = (await page.screenshot({ fullPage: true })).toString("base64")
        const viewer = await browser.newPage()
        const ink = await viewer.evaluate(async (b64) => {
          const img = new Image()
          img.src = `data:image/png;base64,${b64}`
          await img.decode()
          const canvas = document.createElement("canvas")
          canvas.width = img.width
          canvas.height = img.height
          const ctx = canvas.getContext("2d")!
          ctx.drawImage(img, 0, 0)
          const data = ctx.getImageData(0, 0, img.width, img.height).data
          let inked = 0
          const colours = new Set<number>()
          for (let i = 0; i < data.length; i += 4) {
            if (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240) inked++
            colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!)
          }
          return { fraction: inked / (data.length / 4), colours: colours.size, height: img.height }
        }, png)
        expect(ink.height).toBeGreaterThan(1000)
        expect(ink.fraction).toBeGreaterThan(0.02)
        expect(ink.colours).toBeGreaterThan(20)
      } finally {
        await browser.close()
        await fs.rm(dir, { recursive: true, force: true })
      }
    }
  )
})

if (!existsSync(chromium)) {
  console.warn(
    `SKIPPED the headless-browser check of the HTML report: ${chromium} is absent (apt-get install -y chromium)`
  )
}

describe("report charts", () => {
  it("ticks are round: a step of 1, 2 or 5 times a power of ten, at most 5 intervals, covering the maximum", () => {
    expect(niceTicks(67.5)).toEqual([0, 20, 40, 60, 80])
    expect(niceTicks(45)).toEqual([0, 10, 20, 30, 40, 50])
    expect(niceTicks(100)).toEqual([0, 20, 40, 60, 80, 100])
    expect(niceTicks(0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (max) => {
        const ticks = niceTicks(max)
        const step = ticks[1]! - ticks[0]!
        const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6))
        expect([1, 2, 5]).toContain(mantissa)
        expect(ticks.length).toBeLessThanOrEqual(6)
        expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(max * (1 - 1e-9))
        expect(ticks[ticks.length - 2] ?? 0).toBeLessThan(max)
      })
    )
  })

  it("the methods tables show the objective the terminal printed while training (the built Objective's formula)", async () => {
    // the fake learner's trained stages report the formula "fake"; the protocol's spec formula differs
    expect(result.methods[1]!.formula).not.toBe("fake")
    expect(toMarkdown(result)).toContain("| BoT-FT | PK 16x4 | `fake` |")
    expect(await Effect.runPromise(toHtml(result))).toContain("<code>fake</code>")
  })

  it("the HTML has one legend, one y scale per metric with round ticks, and ± std in the matrices", async () => {
    const html = await Effect.runPromise(toHtml(result))
    const [sequence, matrices] = html.match(/<figure class="chart"[\s\S]*?<\/figure>/g)!
    // one legend for the methods (in the order of the protocol), none per panel
    expect(sequence!.match(/aria-roledescription="legend"/g)).toHaveLength(1)
    const labels = [...sequence!.matchAll(/role-legend-label[^>]*><text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])
    expect(labels).toEqual(["Joint", "BoT-FT", "LwF", "DwPP", "DwoPP"])
    // the y axes: one per row of panels (2 rows per metric), each labelled with the metric's round ticks
    const axes = [
      ...sequence!.matchAll(/aria-label="Y-axis titled '([^']+)'[\s\S]*?role-axis-label[^>]*>([\s\S]*?)<\/g>/g)
    ].map((m) => ({ metric: m[1], ticks: [...m[2]!.matchAll(/>([\d.]+)<\/text>/g)].map((t) => Number(t[1])) }))
    expect(axes.map((a) => a.metric)).toEqual(["Rank-1 (%)", "Rank-1 (%)", "mAP (%)", "mAP (%)"])
    const specs = chartSpecs(result)
    for (const a of axes) {
      const metric = specs.taskSequence.find((m) => m.name === a.metric)!
      expect(a.ticks).toEqual(Charts.metricTicks(metric))
      expect(a.ticks).toEqual(niceTicks(Math.max(...metric.panels.map((p) => Charts.seriesMax(p.series)))))
    }
    // ± std printed in the matrices' cells, rows in task order
    expect(matrices).toMatch(/>\d+\.\d ± \d+\.\d</)
    const rows = [...matrices!.matchAll(/Y-axis for a discrete scale with \d+ values: ([^"]*)"/g)].map((m) => m[1])
    // Joint is trained once on all tasks; the sequential methods are evaluated after every task
    expect(rows).toEqual(["init, after task-3", ...Array(4).fill("init, after task-1, after task-2, after task-3")])
  })
})
