/**
 * Reports of an MDKT run: terminal text, Markdown, JSON and one self-contained HTML page (inline CSS and SVG,
 * no script, no network) with both tables, the seed's orderings and a bar chart per table (I2V and V2V mAP of
 * each row, ± std). {@link sections} gives the tables as generic titled `TableModel` sections for
 * `@reidfx/continual`'s HTML report. {@link write} writes `results.json`, `report.md` and `report.html`.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Html, Svg, type Table } from "@reidfx/continual"
import { AtomicFile, type WriteFailed } from "@reidfx/tensor"
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
 * A grouped bar chart (one group per row, one bar per series, error bars ± std) as inline SVG; each series has
 * `data-series` and `data-points` attributes, as `@reidfx/continual`'s charts.
 * @category rendering
 * @since 0.1.0
 */
export const barChart = (options: {
  readonly title: string
  readonly labels: ReadonlyArray<string>
  readonly series: ReadonlyArray<{
    readonly name: string
    readonly values: ReadonlyArray<number>
    readonly errors: ReadonlyArray<number>
  }>
  readonly yLabel: string
}): string => {
  const width = Math.max(420, 70 * options.labels.length + 80)
  const height = 300
  const left = 50
  const top = 30
  const bottom = 80
  const plotH = height - top - bottom
  const plotW = width - left - 20
  const max = Math.max(1, ...options.series.flatMap((s) => s.values.map((v, i) => v + (s.errors[i] ?? 0))))
  const yMax = Math.ceil(max / 10) * 10
  const y = (v: number) => top + plotH - (plotH * v) / yMax
  const group = plotW / options.labels.length
  const barW = (group * 0.8) / options.series.length
  const parts: Array<string> = []
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${Svg.escape(options.title)}</text>`)
  for (let t = 0; t <= yMax; t += yMax / 5) {
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${left - 4}" y="${y(t) + 4}" text-anchor="end" font-size="10">${t.toFixed(0)}</text>`
    )
  }
  parts.push(
    `<text transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${Svg.escape(options.yLabel)}</text>`
  )
  options.series.forEach((s, k) => {
    const colour = Svg.palette[k % Svg.palette.length]
    const bars = s.values
      .map((v, i) => {
        const x = left + i * group + group * 0.1 + k * barW
        const e = s.errors[i] ?? 0
        const bar = `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${colour}"><title>${Svg.escape(`${options.labels[i]}: ${s.name} ${v.toFixed(1)} ± ${e.toFixed(1)}`)}</title></rect>`
        const cx = x + barW / 2
        const err =
          e > 0
            ? `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(v + e).toFixed(1)}" y2="${y(Math.max(0, v - e)).toFixed(1)}" stroke="#222"/>`
            : ""
        return bar + err
      })
      .join("")
    parts.push(`<g data-series="${Svg.escape(s.name)}" data-points="${s.values.length}">${bars}</g>`)
    parts.push(
      `<rect x="${left + 10 + k * 110}" y="${height - 18}" width="10" height="10" fill="${colour}"/><text x="${left + 24 + k * 110}" y="${height - 9}" font-size="11">${Svg.escape(s.name)}</text>`
    )
  })
  options.labels.forEach((l, i) => {
    const x = left + i * group + group / 2
    parts.push(
      `<text transform="translate(${x.toFixed(1)} ${top + plotH + 12}) rotate(30)" font-size="10">${Svg.escape(l)}</text>`
    )
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${Svg.escape(options.title)}">${parts.join("")}</svg>`
}

/** The whole run as one HTML document. @category rendering @since 0.1.0 */
export const toHtml = (run: MdktRun): string => {
  const charts = (["table1", "table2"] as const)
    .map((id) => AblationTable.table(run, id))
    .filter((t) => t.rows.length > 0)
    .map((t) =>
      barChart({
        title: `${t.id === "table1" ? "Table 1" : "Table 2"}: student mAP (%)`,
        labels: t.rows.map((r) => r.label),
        yLabel: "mAP (%)",
        series: (["i2v", "v2v"] as const).map((p) => ({
          name: p.toUpperCase(),
          values: t.rows.map((r) => r.student[p].mAP.mean),
          errors: t.rows.map((r) => r.student[p].mAP.std)
        }))
      })
    )
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

/** The files {@link write} wrote. @category models @since 0.1.0 */
export interface Written {
  readonly json: string
  readonly markdown: string
  readonly html: string
}

/**
 * Writes `results.json`, `report.md` and `report.html` into `out` (created if needed), each atomically and
 * durably (`@reidfx/tensor` AtomicFile). @category io @since 0.1.0
 */
export const write = (out: string, run: MdktRun): Effect.Effect<Written, WriteFailed> =>
  Effect.gen(function* () {
    const written = {
      json: path.join(out, "results.json"),
      markdown: path.join(out, "report.md"),
      html: path.join(out, "report.html")
    }
    yield* AtomicFile.writeFile(written.json, JSON.stringify(AblationTable.toJson(run), null, 1))
    yield* AtomicFile.writeFile(written.markdown, AblationTable.toMarkdown(run))
    yield* AtomicFile.writeFile(written.html, toHtml(run))
    return written
  })
