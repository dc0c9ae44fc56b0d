import { existsSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import { toHtml } from "../src/report/Html.ts"
import { toJson } from "../src/report/Json.ts"
import { toMarkdown } from "../src/report/Markdown.ts"
import * as Report from "../src/report/Report.ts"
import { lineChart } from "../src/report/Svg.ts"
import { renderText, resultsTable, toText } from "../src/report/Table.ts"
import * as Runner from "../src/Runner.ts"
import { fakeBenchmark, fakeLearner } from "./fixtures.ts"

const chromium = "/usr/bin/chromium"

const result = Effect.runSync(
  Effect.gen(function*() {
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
      "method", "task-1", "task-2", "task-3", "seen avg.", "unseen", "task-1", "task-2", "task-3", "seen avg.", "unseen"
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
    expect(json.protocol.name).toBe("fake-report")
  })

  it("the HTML is self-contained: no script, no external URL", () => {
    const html = toHtml(result)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(html).toContain("&lt;fake&gt;")
    expect((html.match(/<svg /g) ?? []).length).toBe(2 * 5 + 5) // 2 metrics x (seen avg + 4 sets) + 5 matrices
  })

  it("a line chart draws one series per method with its points", () => {
    const svg = lineChart({ title: "t", xLabels: ["a", "b", "c"], yLabel: "y", series: [{ name: "m", values: [1, undefined, 3] }] })
    expect(svg).toContain('data-series="m" data-points="2"')
    expect((svg.match(/<circle/g) ?? []).length).toBe(2)
    expect(svg).not.toContain("<polyline") // no two consecutive points
  })

  it.skipIf(!existsSync(chromium))("the HTML report renders in headless Chromium: plots with data, no console errors, no network", async () => {
    const { chromium: launcher } = await import("playwright-core")
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-report-"))
    const files = await Effect.runPromise(Report.write(dir, result))
    const browser = await launcher.launch({
      executablePath: chromium,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
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
          return { width: box.width, series: [...s.querySelectorAll(".series")].map((g) => Number(g.getAttribute("data-points"))) }
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
    } finally {
      await browser.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

if (!existsSync(chromium)) {
  console.warn(`SKIPPED the headless-browser check of the HTML report: ${chromium} is absent (apt-get install -y chromium)`)
}
