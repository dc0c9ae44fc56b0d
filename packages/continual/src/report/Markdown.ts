/**
 * The results as a Markdown document: the seed's table, forgetting and BWT, the task x test-set matrices
 * (mean over seeds), and the definitions used.
 * @since 0.1.0
 */
import { Provenance } from "@reidfx/tensor"
import * as Ledger from "../Ledger.ts"
import { trainedFormula } from "./Html.ts"
import type { RunResult } from "../Runner.ts"
import * as Verdicts from "./Verdicts.ts"
import {
  comparisonTable,
  defaultPairs,
  forgettingTable,
  formatStat,
  resultsTable,
  summaries,
  type TableModel
} from "./Table.ts"

/** A table as GitHub Markdown (the group header becomes a prefix of each column name). */
export const renderMarkdown = (table: TableModel): string => {
  const names: Array<string> = []
  let c = 0
  for (const g of table.groups) {
    for (let k = 0; k < g.span; k++) {
      const col = table.columns[c++]!
      names.push(g.title === "" ? col : `${g.title} ${col}`)
    }
  }
  const row = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
  return [row(names), row(names.map((_, i) => (i === 0 ? "---" : "---:"))), ...table.rows.map(row)].join("\n")
}

/** The task x test-set matrix of one method (mean over seeds), for one metric. */
export const matrixTable = (result: RunResult, method: string, metric: "mAP" | "rank1"): TableModel => {
  const s = summaries(result).find((x) => x.method === method)!
  const sets = [...Ledger.seenSets(result.layout), ...Ledger.unseenSets(result.layout)].map((t) => t.name)
  return {
    groups: [{ title: "", span: sets.length + 1 }],
    columns: ["after", ...sets],
    rows: s.curve.after.map((after, i) => [
      after < 0 ? "init" : `task-${after + 1}`,
      ...sets.map((t) => formatStat(s.curve.testSets[t]?.[metric]?.[i]))
    ])
  }
}

/**
 * The provenance as Markdown lines to put under a report's title (a quote, one line each, then an empty line);
 * none when undefined. Every report of the engine's writer uses it (`Report.writeWith`).
 */
export const provenanceBlock = (provenance: Provenance.Provenance | undefined): ReadonlyArray<string> =>
  provenance === undefined ? [] : [...Provenance.lines(provenance).map((l) => `> ${l}  `), ""]

/** The whole report as Markdown. */
export const toMarkdown = (result: RunResult, provenance?: Provenance.Provenance): string => {
  const parts = [
    `# ${result.protocol.name}`,
    "",
    result.protocol.description ?? "",
    "",
    ...provenanceBlock(provenance),
    `${result.layout.tasks} tasks; seeds ${result.seeds.join(", ")}; values in %, mean ± sample std over seeds; ` +
      `the final model (after the last task) on each task's seen test set, their average, and the unseen identities.`,
    "",
    "## mAP and Rank-1",
    "",
    renderMarkdown(resultsTable(result)),
    "",
    "## Forgetting and backward transfer",
    "",
    "Forgetting of task j: max over l in [j, T-2] of R[l][j] minus R[T-1][j] (Chaudhry et al. 2018); " +
      "BWT of task j: R[T-1][j] minus R[j][j] (Lopez-Paz and Ranzato 2017); both averaged over j < T-1, in points.",
    "",
    renderMarkdown(forgettingTable(result)),
    "",
    ...(defaultPairs(result).length > 0
      ? [
          "## Paired differences",
          "",
          "Final scores of method A minus method B for each seed (every method of a seed starts from the same weights and draws the same random numbers), then mean ± std over seeds, in points.",
          "",
          renderMarkdown(comparisonTable(result)),
          ""
        ]
      : []),
    ...(Verdicts.evaluate(result).length > 0
      ? [
          "## The seed's claims",
          "",
          "Per-seed paired differences (better minus worse; for forgetting, worse minus better), mean and 95 % Student t-interval over seeds, in points: " +
            "holds when the interval is above 0, reversed when below, not significant otherwise.",
          "",
          "| verdict | claim | mean | 95 % CI | seeds |",
          "| --- | --- | --- | --- | --- |",
          ...Verdicts.evaluate(result).map(
            (r) =>
              `| ${r.verdict} | ${r.claim.text} | ${r.interval.mean.toFixed(1)} | ${Number.isFinite(r.interval.low) && Number.isFinite(r.interval.high) ? `[${r.interval.low.toFixed(1)}, ${r.interval.high.toFixed(1)}]` : "n/a (one seed)"} | ${r.interval.n} |`
          ),
          ""
        ]
      : []),
    "## Methods",
    "",
    "| method | sampler | objective |",
    "| --- | --- | --- |",
    ...result.methods.map(
      (m) => `| ${m.label}${m.joint ? " (joint, upper bound)" : ""} | ${m.sampler} | \`${trainedFormula(result, m)}\` |`
    ),
    "",
    "## Task x test-set matrices (mAP)",
    ""
  ]
  for (const m of result.methods) {
    parts.push(`### ${m.label}`, "", renderMarkdown(matrixTable(result, m.name, "mAP")), "")
  }
  parts.push(`Wall time ${result.seconds.toFixed(0)} s.`)
  return parts.join("\n")
}
