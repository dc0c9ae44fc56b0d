import { describe, expect, it } from "vitest"
import * as AblationTable from "../../src/mdkt/AblationTable.ts"
import type { ConfigurationResult, MdktRun, SeedResult } from "../../src/mdkt/MdktRunner.ts"
import { resolveRows, seedTable1, seedTable2 } from "../../src/mdkt/MdktProtocol.ts"
import type { VideoScores } from "@reidfx/video"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Provenance } from "@reidfx/tensor"
import * as MdktProtocolFile from "../../src/mdkt/MdktProtocolFile.ts"
import * as MdktReport from "../../src/mdkt/MdktReport.ts"

const scores = (i2v: number, v2v: number): VideoScores => ({
  i2v: { cmc1: i2v, cmc5: i2v + 10, cmc10: i2v + 20, mAP: i2v - 5, mINP: 1, queries: 10 },
  v2v: { cmc1: v2v, cmc5: v2v + 10, cmc10: v2v + 20, mAP: v2v - 5, mINP: 1, queries: 10 }
})

const fakeRun = async (objects: "persons" | "vehicles" = "persons"): Promise<MdktRun> => {
  const protocol = await Effect.runPromise(
    MdktProtocolFile.decode({
      name: "fake",
      kind: "mdkt",
      data: { world: { kind: "synthetic", objects } },
      seeds: [0, 1, 2]
    })
  )
  const table1 = resolveRows(protocol.tables.table1, protocol.student, seedTable1)
  const table2 = resolveRows(protocol.tables.table2, protocol.student, seedTable2)
  const keys = [...new Set([...table1, ...table2].map((r) => r.key))]
  // hand-made: ALL (and mutual) = 50 + seed, TR = 40 + 2 * seed, frozen = 52 - seed, others 45
  const value = (key: string, seed: number) =>
    key === "tr+mkd+pd+mtcl@mutual"
      ? 50 + seed
      : key === "tr@mutual"
        ? 40 + 2 * seed
        : key === "tr+mkd+pd+mtcl@frozen"
          ? 52 - seed
          : 45
  const seeds: Array<SeedResult> = [0, 1, 2].map((seed) => ({
    seed,
    stage1: {
      teacher: scores(30, 60),
      training: { steps: 1, seconds: 1, clipsPerSecond: 1, lastEpoch: {} },
      formula: "f"
    },
    configurations: keys.map(
      (key): ConfigurationResult => ({
        key,
        terms: [],
        mode: key.endsWith("frozen") ? "frozen" : "mutual",
        studentFormula: "s",
        teacherFormula: "t",
        student: scores(value(key, seed), 70),
        teacher: scores(30, 60),
        training: { steps: 1, seconds: 1, clipsPerSecond: 1, lastEpoch: {} },
        seconds: 1
      })
    ),
    seconds: 10
  }))
  return {
    protocol,
    world: { name: "w", objects, train: 10, query: 5, gallery: 5, classes: 5, protocol: "p" },
    table1,
    table2,
    seeds,
    seconds: 30
  }
}

describe("ablation tables", () => {
  it("stat: mean and sample standard deviation (n - 1)", () => {
    const s = AblationTable.stat([50, 51, 52])
    expect(s.mean).toBe(51)
    expect(s.std).toBeCloseTo(1, 10)
    expect(AblationTable.stat([3]).std).toBe(0)
    expect(AblationTable.formatStat(s)).toBe("51.0 ± 1.0")
    expect(AblationTable.formatStat(AblationTable.stat([3]))).toBe("3.0")
  })

  it("Table 1 has the seed's rows, check marks and I2V / V2V cmc1 and mAP columns", async () => {
    const run = await fakeRun()
    const model = AblationTable.toTableModel(AblationTable.table(run, "table1"))
    expect(model.columns).toEqual(["Models", "L_TR", "L_MKD", "L_PD", "L_MTCL", "cmc1", "mAP", "cmc1", "mAP"])
    expect(model.rows.map((r) => r[0])).toEqual([
      "TR",
      "TCL",
      "TR+TCL",
      "MKD+PD+TCL",
      "TR+MKD+PD",
      "TR+MKD+TCL",
      "TR+PD+TCL",
      "ALL"
    ])
    expect(model.rows[3]!.slice(1, 5)).toEqual(["×", "✓", "✓", "✓"])
    expect(model.rows[7]![5]).toBe("51.0 ± 1.0")
    expect(model.rows[0]![5]).toBe("42.0 ± 2.0")
    const t2 = AblationTable.toTableModel(AblationTable.table(run, "table2"))
    expect(t2.rows.map((r) => r[1])).toEqual(["frozen teacher", "without mutual", "mutual"])
  })

  it("vehicles are reported as top1 / top5 / mAP", async () => {
    const model = AblationTable.toTableModel(AblationTable.table(await fakeRun("vehicles"), "table2"))
    expect(model.columns.slice(2)).toEqual(["top1", "top5", "mAP", "top1", "top5", "mAP"])
  })

  it("the seed's orderings as paired differences", async () => {
    const cs = AblationTable.comparisons(await fakeRun())
    const allVsTr = cs.find((c) => c.claim.startsWith("ALL") && c.metric === "cmc1")!
    // differences per seed: 10, 9, 8
    expect(allVsTr.difference.mean).toBeCloseTo(9, 10)
    expect(allVsTr.difference.std).toBeCloseTo(1, 10)
    expect(allVsTr.wins).toBe(3)
    expect(allVsTr.holdsOnAverage).toBe(true)
    // t = 9 / (1 / sqrt 3) = 15.59 > 4.303
    expect(allVsTr.t).toBeCloseTo(9 * Math.sqrt(3), 6)
    expect(allVsTr.significant).toBe(true)
    const mutualVsFrozen = cs.find((c) => c.claim.startsWith("mutual") && c.protocol === "i2v" && c.metric === "cmc1")!
    // differences: -2, 0, 2
    expect(mutualVsFrozen.difference.mean).toBeCloseTo(0, 10)
    expect(mutualVsFrozen.wins).toBe(1)
    expect(mutualVsFrozen.holdsOnAverage).toBe(false)
    expect(mutualVsFrozen.significant).toBe(false)
  })

  it("renders text, Markdown, JSON and a self-contained HTML page with both tables and charts", async () => {
    const run = await fakeRun()
    const text = AblationTable.toText(run)
    expect(text).toMatch(/Table 1/)
    expect(text).toMatch(/Table 2/)
    expect(text).toMatch(
      /ALL > TR \(I2V\), I2V cmc1: \+9\.00 ± 1\.00 points \(paired over 3 seeds; better in 3\/3; t = 15\.59\) -> holds \(significant at 95%\)/
    )
    const md = AblationTable.toMarkdown(run)
    expect(md).toMatch(/\| Models \| Losses L_TR/)
    const json = JSON.parse(JSON.stringify(AblationTable.toJson(run)))
    expect(json.tables.table1.rows).toHaveLength(8)
    expect(json.tables.table2.rows[0].student.i2v.cmc1.values).toEqual([52, 51, 50])
    const html = await Effect.runPromise(MdktReport.toHtml(run))
    expect(html).toMatch(/<table>/)
    expect(html).not.toMatch(/<script/)
    // two bar charts drawn by Vega: Table 1 (8 rows) and Table 2 (3 rows), a bar per row x (I2V, V2V)
    const figures = html.match(/<figure class="chart"[\s\S]*?<\/figure>/g) ?? []
    expect(figures.map((f) => f.match(/data-points="(\d+)"/)?.[1])).toEqual(["16", "6"])
    const bars = figures.map((f) => f.match(/<g class="mark-rect role-mark[^>]*>([\s\S]*?)<\/g>/)?.[1] ?? "")
    expect(bars.map((b) => b.match(/<path /g)?.length)).toEqual([16, 6])
    expect(MdktReport.sections(run)).toHaveLength(2)
  })

  it("writes its three files through the engine's writer: provenance on top, the same JSON after it", async () => {
    const run = await fakeRun()
    const provenance = Provenance.make({
      config: MdktProtocolFile.encode(run.protocol),
      backend: { name: "cpu", threads: 1 },
      argv: ["reidfx", "run", "fake.yaml"],
      now: new Date("2026-01-01T00:00:00Z")
    })
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-report-"))
    const written = await Effect.runPromise(MdktReport.write(out, run, provenance))
    expect(written).toEqual({
      json: path.join(out, "results.json"),
      markdown: path.join(out, "report.md"),
      html: path.join(out, "report.html")
    })
    const json = JSON.parse(fs.readFileSync(written.json, "utf8"))
    const { provenance: saved, ...rest } = json
    expect(Object.keys(json)[0]).toBe("provenance")
    expect(saved).toEqual(provenance)
    expect(rest).toEqual(JSON.parse(JSON.stringify(AblationTable.toJson(run))))
    // Markdown: the provenance lines under the title and description, before the world line
    const md = fs.readFileSync(written.markdown, "utf8").split("\n")
    const first = md.indexOf(`> ${Provenance.lines(provenance)[0]}  `)
    expect(first).toBeGreaterThan(0)
    expect(md.slice(first, first + 4)).toEqual(Provenance.lines(provenance).map((l) => `> ${l}  `))
    expect(md.findIndex((l) => l.startsWith("World: "))).toBe(first + 5)
    const html = fs.readFileSync(written.html, "utf8")
    expect(html).toContain(`<p class="note provenance">reidfx ${provenance.reidfx}`)
    expect(html.indexOf("provenance")).toBeLessThan(html.indexOf("<table>"))
    // without provenance, results.json is the ablation tables' JSON alone (the file as it was before the writer moved)
    const plain = await Effect.runPromise(MdktReport.write(out, run))
    expect(fs.readFileSync(plain.json, "utf8")).toBe(JSON.stringify(AblationTable.toJson(run), null, 1))
    expect(fs.readFileSync(plain.markdown, "utf8")).toBe(AblationTable.toMarkdown(run))
    expect(fs.readFileSync(plain.markdown, "utf8")).not.toContain("> reidfx")
  })
})
