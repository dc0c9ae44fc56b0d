/**
 * The results table in the layout of the DwoPP paper: one row per method; for each metric (mAP, Rank-1) one
 * column per seen test set (the final model on each task's identities), the seen average, and the unseen
 * test set. Cells are `mean ± std` over seeds, in percent.
 * @since 0.1.0
 */
import * as Ledger from "../Ledger.ts"
import * as Metrics from "../Metrics.ts"
import type { RunResult } from "../Runner.ts"
import * as Verdicts from "./Verdicts.ts"

/** A table as strings: two header rows (metric groups, then columns) and the body. */
export interface TableModel {
  readonly groups: ReadonlyArray<{ readonly title: string; readonly span: number }>
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

/** `12.3 ± 0.4` (percent); `-` when not measured. `std` is shown only when there are several seeds. */
export const formatStat = (s: Ledger.Stat | undefined, scale = 100, digits = 1): string =>
  s === undefined
    ? "-"
    : s.n > 1
      ? `${(scale * s.mean).toFixed(digits)} ± ${(scale * s.std).toFixed(digits)}`
      : (scale * s.mean).toFixed(digits)

/** The summaries of every method of a run. */
export const summaries = (result: RunResult): ReadonlyArray<Ledger.MethodSummary> =>
  result.methods.map((m) => Ledger.summarize(result.cells, result.layout, m.name))

/** The seed's results table (`metrics` defaults to mAP and Rank-1). */
export const resultsTable = (
  result: RunResult,
  metrics: ReadonlyArray<Metrics.MetricName> = ["mAP", "rank1"]
): TableModel => {
  const seen = Ledger.seenSets(result.layout)
  const columns = ["method", ...metrics.flatMap(() => [...seen.map((t) => t.name), "seen avg.", "unseen"])]
  const sums = summaries(result)
  const rows = result.methods.map((m, i) => {
    const s = sums[i]!
    return [
      m.label,
      ...metrics.flatMap((metric) => [
        ...seen.map((t) => formatStat(s.final[t.name]?.[metric])),
        formatStat(s.seenAverage[metric]),
        formatStat(s.unseen[metric])
      ])
    ]
  })
  return {
    groups: [
      { title: "", span: 1 },
      ...metrics.map((metric) => ({ title: Metrics.displayName(metric), span: seen.length + 2 }))
    ],
    columns,
    rows
  }
}

/** Forgetting and backward transfer (mean over the test sets of tasks 0..T-2), per method, in points. */
export const forgettingTable = (
  result: RunResult,
  metrics: ReadonlyArray<Metrics.MetricName> = ["mAP", "rank1"]
): TableModel => {
  const sums = summaries(result)
  return {
    groups: [
      { title: "", span: 1 },
      { title: "forgetting (Chaudhry 2018)", span: metrics.length },
      { title: "BWT (Lopez-Paz 2017)", span: metrics.length },
      {
        title: "",
        span: 2
      }
    ],
    columns: [
      "method",
      ...metrics.map(Metrics.displayName),
      ...metrics.map(Metrics.displayName),
      "mINP seen avg.",
      "Rank-5 seen avg."
    ],
    rows: result.methods.map((m, i) => {
      const s = sums[i]!
      return [
        m.label,
        ...metrics.map((x) => formatStat(s.meanForgetting[x])),
        ...metrics.map((x) => formatStat(s.meanBackwardTransfer[x])),
        formatStat(s.seenAverage["mINP"]),
        formatStat(s.seenAverage["rank5"])
      ]
    })
  }
}

/** The method pairs the DwoPP paper's claim is about, among those a run has. */
export const defaultPairs = (result: RunResult): ReadonlyArray<readonly [string, string]> => {
  const has = new Set(result.methods.map((m) => m.name))
  const pairs: Array<readonly [string, string]> = [
    ["dwopp", "dwpp"],
    ["dwpp", "dmml-ft"],
    ["dwopp", "dmml-ft"],
    ["dwopp", "bot-ft"],
    ["lwf", "bot-ft"]
  ]
  return pairs.filter(([a, b]) => has.has(a) && has.has(b))
}

/**
 * Paired differences of final scores (method A minus method B, per seed, then mean ± std over seeds), in
 * points: seen average and unseen, for mAP and Rank-1.
 */
export const comparisonTable = (
  result: RunResult,
  pairs: ReadonlyArray<readonly [string, string]> = defaultPairs(result)
): TableModel => {
  const label = (name: string) => result.methods.find((m) => m.name === name)?.label ?? name
  return {
    groups: [
      { title: "", span: 1 },
      { title: "mAP difference", span: 2 },
      { title: "Rank-1 difference", span: 2 }
    ],
    columns: ["A - B", "seen avg.", "unseen", "seen avg.", "unseen"],
    rows: pairs.map(([a, b]) => [
      `${label(a)} - ${label(b)}`,
      formatStat(Ledger.pairedDifference(result.cells, result.layout, a, b, "mAP", "seenAverage")),
      formatStat(Ledger.pairedDifference(result.cells, result.layout, a, b, "mAP", "unseen")),
      formatStat(Ledger.pairedDifference(result.cells, result.layout, a, b, "rank1", "seenAverage")),
      formatStat(Ledger.pairedDifference(result.cells, result.layout, a, b, "rank1", "unseen"))
    ])
  }
}

/** Renders a table as aligned plain text. */
export const renderText = (table: TableModel): string => {
  const all = [table.columns, ...table.rows]
  const widths = table.columns.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  const groupLine: Array<string> = []
  let c = 0
  for (const g of table.groups) {
    const width = widths.slice(c, c + g.span).reduce((a, b) => a + b, 0) + 2 * (g.span - 1)
    groupLine.push(g.title === "" ? " ".repeat(width) : g.title.padEnd(width, " "))
    c += g.span
  }
  const rule = "-".repeat(line(table.columns).length)
  return [groupLine.join("  ").trimEnd(), line(table.columns), rule, ...table.rows.map(line)].join("\n")
}

/** The results table and the forgetting table as terminal text, with the run's facts. */
export const toText = (result: RunResult): string =>
  [
    `${result.protocol.name}: ${result.layout.tasks} tasks, seeds ${result.seeds.join(", ")}; final model after the last task, in %`,
    "",
    renderText(resultsTable(result)),
    "",
    renderText(forgettingTable(result)),
    ...(defaultPairs(result).length > 0
      ? [
          "",
          "paired differences of the final model (per seed, then mean ± std over seeds), in points:",
          "",
          renderText(comparisonTable(result))
        ]
      : []),
    ...verdictSection(result),
    "",
    `wall time ${result.seconds.toFixed(0)} s (stages: ${result.computeSeconds.toFixed(0)} s)`
  ].join("\n")

/** The verdict lines on the seed's claims (empty when the run has none of their method pairs). */
export const verdictSection = (result: RunResult): ReadonlyArray<string> => {
  const results = Verdicts.evaluate(result)
  return results.length === 0
    ? []
    : ["", "the seed's claims (paired differences over seeds, 95% t-interval):", "", ...Verdicts.toLines(results)]
}
