/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no network) with the run's
 * provenance at the top, the results table, forgetting and BWT, the paired differences and the verdicts on
 * the seed's claims (as in the Markdown report), Rank-1 and mAP of each test set over the task sequence (one
 * line per method, like the DwoPP paper's figures; one legend for the page, one y scale per metric, round
 * ticks), the seen average and unseen curves, and each method's task x test-set matrix (mean ± std over seeds).
 * The charts are Vega-Lite specs (`Charts.ts`) rendered to inline SVG by `@reidfx/chart`'s `Chart.toSvg`.
 * @since 0.1.0
 */
import { Chart } from "@reidfx/chart"
import { Provenance } from "@reidfx/tensor"
import { Effect } from "effect"
import * as Ledger from "../Ledger.ts"
import type { RunResult } from "../Runner.ts"
import * as Charts from "./Charts.ts"
import { escapeXml } from "./Svg.ts"
import { comparisonTable, defaultPairs, forgettingTable, resultsTable, summaries, type TableModel } from "./Table.ts"
import * as Verdicts from "./Verdicts.ts"

/**
 * The provenance as an HTML note to put under a report's title (one line each); empty when undefined. Every
 * report of the engine's writer uses it (`Report.writeWith`).
 */
export const provenanceNote = (provenance: Provenance.Provenance | undefined): string =>
  provenance === undefined
    ? ""
    : `<p class="note provenance">${Provenance.lines(provenance).map(escapeXml).join("<br>")}</p>`

/** The stylesheet shared by the HTML reports (this one and `@reidfx/reid`'s MDKT report). */
export const reportStyle = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
thead th{background:#f2f2f2;text-align:center}
tbody th{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:8px 0 20px}
.note{color:#555;font-size:13px}`

/** A {@link TableModel} as an HTML table (group header row, column header row, first cell of a row as `th`). */
export const tableHtml = (table: TableModel): string => {
  const groups = table.groups.map((g) => `<th colspan="${g.span}">${escapeXml(g.title)}</th>`).join("")
  const head = table.columns.map((c) => `<th>${escapeXml(c)}</th>`).join("")
  const body = table.rows
    .map(
      (r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${escapeXml(c)}</th>` : `<td>${escapeXml(c)}</td>`)).join("")}</tr>`
    )
    .join("")
  return `<table><thead><tr>${groups}</tr><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}

/**
 * A method's objective as the terminal printed it while training (the built Objective's formula of its last
 * trained stage: every option spelled out, the old-model terms with their `from`), or the protocol's spec
 * formula when nothing was trained.
 */
export const trainedFormula = (
  result: RunResult,
  method: { readonly name: string; readonly formula: string }
): string => {
  const unit = result.units.find((u) => u.method === method.name && Object.keys(u.trained).length > 0)
  const stages = unit === undefined ? [] : Object.values(unit.trained)
  return stages[stages.length - 1]?.formula ?? method.formula
}

/** The paired-differences table and the verdicts on the seed's claims (as in the Markdown report), when the run has them. */
const pairedHtml = (result: RunResult): string => {
  const parts: Array<string> = []
  if (defaultPairs(result).length > 0) {
    parts.push(
      "<h2>Paired differences</h2>",
      `<p class="note">Final scores of method A minus method B for each seed (every method of a seed starts from the same weights and draws the same random numbers), then mean ± std over seeds, in points.</p>`,
      tableHtml(comparisonTable(result))
    )
  }
  const verdicts = Verdicts.evaluate(result)
  if (verdicts.length > 0) {
    parts.push(
      "<h2>The seed's claims</h2>",
      `<p class="note">Per-seed paired differences, mean and 95 % Student t-interval over seeds, in points: holds when the interval is above 0, reversed when below, not significant otherwise.</p>`,
      tableHtml({
        groups: [{ title: "", span: 5 }],
        columns: ["verdict", "claim", "mean", "95 % CI", "seeds"],
        rows: verdicts.map((r) => [
          r.verdict,
          r.claim.text,
          r.interval.mean.toFixed(1),
          Number.isFinite(r.interval.low) && Number.isFinite(r.interval.high)
            ? `[${r.interval.low.toFixed(1)}, ${r.interval.high.toFixed(1)}]`
            : "n/a (one seed)",
          String(r.interval.n)
        ])
      })
    )
  }
  return parts.join("\n")
}

const rowLabel = (after: number): string => (after < 0 ? "init" : `after task-${after + 1}`)

/** The report's charts as Vega-Lite specs, with the number of data points each draws. */
export const chartSpecs = (
  result: RunResult
): {
  readonly taskSequence: Charts.MetricPanels[]
  readonly sequence: Chart.Spec
  readonly matrices: Chart.Spec
  readonly points: { readonly sequence: number; readonly matrices: number }
} => {
  const sums = summaries(result)
  const after = [...new Set(sums.flatMap((s) => s.curve.after))].sort((a, b) => a - b)
  const xLabels = after.map((a) => (a < 0 ? "init" : `task-${a + 1}`))
  const at = (
    s: Ledger.MethodSummary,
    values: ReadonlyArray<Ledger.Stat | undefined> | undefined,
    what: "mean" | "std"
  ) =>
    after.map((a) => {
      const i = s.curve.after.indexOf(a)
      const st = i < 0 ? undefined : values?.[i]
      return st === undefined ? undefined : 100 * st[what]
    })
  const seriesOf = (pick: (s: Ledger.MethodSummary) => ReadonlyArray<Ledger.Stat | undefined> | undefined) =>
    sums.map((s, i) => ({
      name: result.methods[i]!.label,
      values: at(s, pick(s), "mean"),
      errors: at(s, pick(s), "std")
    }))
  const sets = [...Ledger.seenSets(result.layout), ...Ledger.unseenSets(result.layout)]
  const taskSequence = (["rank1", "mAP"] as const).map((metric) => {
    const name = metric === "mAP" ? "mAP" : "Rank-1"
    return {
      name: `${name} (%)`,
      panels: [
        { title: `${name}: seen average`, series: seriesOf((s) => s.curve.seenAverage[metric]) },
        ...sets.map((t) => ({
          title: `${name} on ${t.name}`,
          series: seriesOf((s) => s.curve.testSets[t.name]?.[metric])
        }))
      ]
    }
  })
  const matrices: Array<Charts.Matrix> = sums.map((s, i) => {
    const cell = (r: number, t: string, what: "mean" | "std") => {
      const st = s.curve.testSets[t]?.["mAP"]?.[r]
      return st === undefined ? undefined : 100 * st[what]
    }
    return {
      title: result.methods[i]!.label,
      rowLabels: s.curve.after.map(rowLabel),
      columnLabels: sets.map((t) => t.name),
      values: s.curve.after.map((_, r) => sets.map((t) => cell(r, t.name, "mean"))),
      ...(result.seeds.length > 1
        ? { errors: s.curve.after.map((_, r) => sets.map((t) => cell(r, t.name, "std"))) }
        : {})
    }
  })
  return {
    taskSequence,
    sequence: Charts.taskSequenceSpec({ xLabels, methods: result.methods.map((m) => m.label), metrics: taskSequence }),
    matrices: Charts.matricesSpec({ valueName: "mAP (%)", matrices, rowOrder: after.map(rowLabel) }),
    points: {
      sequence: Charts.pointCount(taskSequence),
      matrices: matrices.flatMap((m) => m.values.flat()).filter((v) => v !== undefined && Number.isFinite(v)).length
    }
  }
}

/** The report as one HTML document (the charts rendered by Vega-Lite to inline SVG). */
export const toHtml = (result: RunResult, provenance?: Provenance.Provenance): Effect.Effect<string> =>
  Effect.gen(function* () {
    const specs = chartSpecs(result)
    const sequence = Chart.figure({
      name: "task-sequence",
      points: specs.points.sequence,
      svg: yield* Chart.toSvg(specs.sequence)
    })
    const matrices = Chart.figure({
      name: "matrices",
      points: specs.points.matrices,
      svg: yield* Chart.toSvg(specs.matrices)
    })
    return page(result, provenance, sequence, matrices)
  })

const page = (
  result: RunResult,
  provenance: Provenance.Provenance | undefined,
  sequence: string,
  matrices: string
): string => {
  const methods = result.methods
    .map(
      (m) =>
        `<tr><th>${escapeXml(m.label)}</th><td>${escapeXml(m.sampler)}</td><td><code>${escapeXml(trainedFormula(result, m))}</code></td><td>${m.joint ? "joint (upper bound)" : "sequential"}</td></tr>`
    )
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(result.protocol.name)}: lifelong ReID report</title>
<style>
${reportStyle}
</style></head><body>
<h1>${escapeXml(result.protocol.name)}</h1>
<p class="note">${escapeXml(result.protocol.description ?? "")}</p>
${provenanceNote(provenance)}
<p class="note">${result.layout.tasks} tasks; seeds ${result.seeds.join(", ")}; values in %, mean ± sample std over seeds; wall time ${result.seconds.toFixed(0)} s.</p>
<h2>mAP and Rank-1 of the final model</h2>
${tableHtml(resultsTable(result))}
<h2>Forgetting and backward transfer</h2>
<p class="note">Forgetting of task j: max over l in [j, T-2] of R[l][j] minus R[T-1][j] (Chaudhry et al. 2018). BWT of task j: R[T-1][j] minus R[j][j] (Lopez-Paz and Ranzato 2017). Averages over j &lt; T-1, in points.</p>
${tableHtml(forgettingTable(result))}
${pairedHtml(result)}
<h2>Over the task sequence</h2>
${sequence}
<h2>Task x test-set matrices</h2>
${matrices}
<h2>Methods</h2>
<table><thead><tr><th>method</th><th>sampler</th><th>objective</th><th>training</th></tr></thead><tbody>${methods}</tbody></table>
</body></html>
`
}
