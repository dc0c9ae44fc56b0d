/**
 * Reports of an MDKT run: terminal text, Markdown, JSON and one self-contained HTML page (inline CSS and SVG,
 * no script, no network) with both tables, the seed's orderings and a bar chart per table (I2V and V2V mAP of
 * each row, ± std; Vega-Lite, rendered to SVG by `@reidfx/chart`'s `Chart.toSvg`). {@link sections} gives the tables as generic titled `TableModel` sections for
 * `@reidfx/continual`'s HTML report. {@link write} writes `results.json`, `report.md` and `report.html` through the
 * engine's report writer (`@reidfx/continual`'s `Report.writeWith`: atomic files, the run's provenance at the top
 * of each) with this module's {@link renderers}.
 * @since 0.1.0
 */
import { Html, Report, type RunStoreError, Svg, type Table } from "@reidfx/continual"
import { Chart } from "@reidfx/chart"
import type { Provenance } from "@reidfx/tensor"
import { Effect } from "effect"
import * as AblationTable from "./AblationTable.ts"
import type { MdktRun } from "./MdktRunner.ts"

/** A titled table: the generic section of an HTML or Markdown report. @category models @since 0.1.0 */
export interface Section {
  readonly title: string
  readonly note: string
  readonly table: Table.TableModel
}

/** Both tables (when they have rows) as generic sections. @category rendering @since 0.1.0 */
export const sections = (run: MdktRun): ReadonlyArray<Section> =>
  (["table1", "table2"] as const)
    .map((id) => AblationTable.table(run, id))
    .filter((t) => t.rows.length > 0)
    .map((t) => ({
      title: `${run.protocol.name}: ${t.title}`,
      note: `Student scores in %, mean ± sample std over seeds ${t.seeds.join(", ")}; ${run.world.name}.`,
      table: AblationTable.toTableModel(t)
    }))

/**
 * A grouped bar chart (one group per row, one bar per series, ± std as a vertical rule) as a Vega-Lite spec,
 * rendered by `@reidfx/chart`'s `Chart.toSvg`; the y scale is `[0, last round tick]` (`Chart.niceTicks`).
 * @category rendering
 * @since 0.1.0
 */
export const barChartSpec = (options: {
  readonly title: string
  readonly labels: ReadonlyArray<string>
  readonly series: ReadonlyArray<{
    readonly name: string
    readonly values: ReadonlyArray<number>
    readonly errors: ReadonlyArray<number>
  }>
  readonly yLabel: string
}): Chart.Spec => {
  const values = options.series.flatMap((s) =>
    options.labels.map((label, i) => {
      const v = s.values[i] ?? 0
      const e = s.errors[i] ?? 0
      return { label, series: s.name, value: v, low: Math.max(0, v - e), high: v + e }
    })
  )
  const ticks = Chart.niceTicks(Math.max(0, ...values.map((v) => v.high)))
  const x = {
    field: "label",
    type: "nominal" as const,
    sort: [...options.labels],
    title: null,
    axis: { labelAngle: -30 }
  }
  const xOffset = { field: "series", type: "nominal" as const, sort: options.series.map((s) => s.name) }
  const y = {
    field: "value",
    type: "quantitative" as const,
    title: options.yLabel,
    scale: { domain: [0, ticks[ticks.length - 1]!] },
    axis: { values: [...ticks] }
  }
  return {
    title: options.title,
    background: "white",
    data: { values },
    width: { step: 28 * Math.max(1, options.series.length) },
    height: 200,
    encoding: { x, xOffset },
    layer: [
      {
        mark: { type: "bar" as const },
        encoding: {
          y,
          color: {
            field: "series",
            type: "nominal" as const,
            title: null,
            sort: options.series.map((s) => s.name),
            scale: {
              domain: options.series.map((s) => s.name),
              range: options.series.map((_, k) => Chart.palette[k % Chart.palette.length]!)
            }
          },
          tooltip: [
            { field: "label", type: "nominal" as const },
            { field: "series", type: "nominal" as const },
            { field: "value", type: "quantitative" as const, format: ".1f" }
          ]
        }
      },
      {
        mark: { type: "rule" as const, color: "#222" },
        encoding: { y: { field: "low", type: "quantitative" as const }, y2: { field: "high" } }
      }
    ]
  }
}

/**
 * The whole run as one HTML document (the bar charts rendered by Vega-Lite to inline SVG), with the run's
 * provenance under the title when given.
 * @category rendering
 * @since 0.1.0
 */
export const toHtml = (run: MdktRun, provenance?: Provenance.Provenance): Effect.Effect<string> =>
  Effect.gen(function* () {
    const charts: Array<string> = []
    for (const t of (["table1", "table2"] as const).map((id) => AblationTable.table(run, id))) {
      if (t.rows.length === 0) continue
      const spec = barChartSpec({
        title: `${t.id === "table1" ? "Table 1" : "Table 2"}: student mAP (%)`,
        labels: t.rows.map((r) => r.label),
        yLabel: "mAP (%)",
        series: (["i2v", "v2v"] as const).map((p) => ({
          name: p.toUpperCase(),
          values: t.rows.map((r) => r.student[p].mAP.mean),
          errors: t.rows.map((r) => r.student[p].mAP.std)
        }))
      })
      charts.push(Chart.figure({ name: t.id, points: 2 * t.rows.length, svg: yield* Chart.toSvg(spec) }))
    }
    return page(run, provenance, charts)
  })

const page = (run: MdktRun, provenance: Provenance.Provenance | undefined, charts: ReadonlyArray<string>): string => {
  const formulas =
    run.seeds[0]?.configurations
      .map(
        (c) =>
          `<tr><th>${Svg.escape(c.key)}</th><td><code>${Svg.escape(c.studentFormula)}</code></td><td><code>${Svg.escape(c.teacherFormula)}</code></td></tr>`
      )
      .join("") ?? ""
  const comparisons = AblationTable.comparisonLines(AblationTable.comparisons(run))
    .map((l) => `<li>${Svg.escape(l)}</li>`)
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${Svg.escape(run.protocol.name)}: MDKT report</title>
<style>
${Html.reportStyle}
code{font-size:11px}
.formulas td{text-align:left}
</style></head><body>
<h1>${Svg.escape(run.protocol.name)}</h1>
<p class="note">${Svg.escape(run.protocol.description ?? "")}</p>
${Html.provenanceNote(provenance)}
<p class="note">${Svg.escape(`${run.world.name}: ${run.world.classes} training identities (${run.world.train} tracklets), ${run.world.query} query and ${run.world.gallery} gallery tracklets. Student ${run.protocol.student.frames} frame(s), teacher ${run.protocol.student.teacherFrames}. Seeds ${run.seeds.map((s) => s.seed).join(", ")}; student scores in %, mean ± sample std over seeds; wall time ${run.seconds.toFixed(0)} s.`)}</p>
<p class="note">${Svg.escape(`Evaluation protocol: ${run.world.protocol}.`)}</p>
${sections(run)
  .map((s) => `<h2>${Svg.escape(s.title)}</h2>\n${Html.tableHtml(s.table)}`)
  .join("\n")}
<h2>The seed's orderings</h2>
<ul>${comparisons}</ul>
<div class="charts">${charts.join("")}</div>
<h2>Objectives</h2>
<table class="formulas"><thead><tr><th>configuration</th><th>student</th><th>teacher</th></tr></thead><tbody>${formulas}</tbody></table>
</body></html>
`
}

/** The files {@link write} wrote (`@reidfx/continual`'s `Report.Written`). @category models @since 0.1.0 */
export type Written = Report.Written

/**
 * The MDKT renderers of the engine's report writer: `results.json` is {@link AblationTable.toJson}, `report.md`
 * {@link AblationTable.toMarkdown}, `report.html` {@link toHtml}.
 * @category rendering
 * @since 0.1.0
 */
export const renderers: Report.Renderers<MdktRun> = {
  json: (run) => AblationTable.toJson(run),
  markdown: (run, provenance) => AblationTable.toMarkdown(run, provenance),
  html: toHtml
}

/**
 * Writes `results.json`, `report.md` and `report.html` into `out` (created if needed) through the engine's
 * writer (`Report.writeWith`): each atomically and durably, with the run's provenance at the top when given.
 * @category io
 * @since 0.1.0
 */
export const write = (
  out: string,
  run: MdktRun,
  provenance?: Provenance.Provenance
): Effect.Effect<Written, RunStoreError> => Report.writeWith(out, run, renderers, provenance)
