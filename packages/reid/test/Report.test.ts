import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Html, Json, Markdown, Report, Runner, Svg, Table } from "@reidfx/continual"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as fc from "fast-check"
import { fakeBenchmark, fakeLearner } from "./fixtures.ts"

const { toHtml } = Html
const { toJson } = Json
const { toMarkdown } = Markdown
const { lineChart, niceTicks } = Svg
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

  it("the HTML is self-contained: no script, no external URL", () => {
    const html = toHtml(result)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(html).toContain("&lt;fake&gt;")
    expect((html.match(/<svg /g) ?? []).length).toBe(2 * 5 + 5 + 1) // 2 metrics x (seen avg + 4 sets) + 5 matrices + the legend
  })

  it("a line chart draws one series per method with its points", () => {
    const svg = lineChart({
      title: "t",
      xLabels: ["a", "b", "c"],
      yLabel: "y",
      series: [{ name: "m", values: [1, undefined, 3] }]
    })
    expect(svg).toContain('data-series="m" data-points="2"')
    expect((svg.match(/<circle/g) ?? []).length).toBe(2)
    expect(svg).not.toContain("<polyline") // no two consecutive points
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
        const charts = await page.$$eval("svg.chart", (svgs) =>
          svgs.map((s) => {
            const box = s.getBoundingClientRect()
            return {
              width: box.width,
              series: [...s.querySelectorAll(".series")].map((g) => Number(g.getAttribute("data-points")))
            }
          })
        )
        expect(charts.length).toBe(10)
        for (const c of charts) {
          expect(c.width).toBeGreaterThan(100)
          expect(c.series.length).toBe(5)
          expect(c.series.some((n) => n > 0)).toBe(true)
        }
        const circles = await page.$$eval("svg.chart circle", (cs) => cs.length)
        expect(circles).toBeGreaterThan(50)
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

  it("the methods tables show the objective the terminal printed while training (the built Objective's formula)", () => {
    // the fake learner's trained stages report the formula "fake"; the protocol's spec formula differs
    expect(result.methods[1]!.formula).not.toBe("fake")
    expect(toMarkdown(result)).toContain("| BoT-FT | PK 16x4 | `fake` |")
    expect(toHtml(result)).toContain("<code>fake</code>")
  })

  it("the HTML has one legend, one y scale per metric (every panel the same top tick), and ± std in the matrices", () => {
    const html = toHtml(result)
    expect(html.match(/class="legend"/g)).toHaveLength(1)
    const charts = html.match(/<svg[^>]*class="chart"[\s\S]*?<\/svg>/g)!
    expect(charts).toHaveLength(10)
    const top = (svg: string) =>
      Math.max(...[...svg.matchAll(/text-anchor="end" font-size="10">([\d.]+)<\/text>/g)].map((m) => Number(m[1])))
    const rank1 = charts.filter((c) => c.includes('aria-label="Rank-1'))
    const map = charts.filter((c) => c.includes('aria-label="mAP'))
    expect(rank1).toHaveLength(5)
    expect(new Set(rank1.map(top)).size).toBe(1)
    expect(new Set(map.map(top)).size).toBe(1)
    // no legend inside a panel
    for (const c of charts) expect(c).not.toContain("<rect")
    const heat = html.match(/<svg[^>]*class="heatmap"[\s\S]*?<\/svg>/)![0]
    expect(heat).toMatch(/>\d+\.\d ± \d+\.\d</)
  })
})
