/**
 * The ablation tables of MDKT in the seed's layout, aggregated over seeds:
 *
 * - **Table 1** (loss terms): one row per term set (TR, TCL, TR+TCL, MKD+PD+TCL, TR+MKD+PD, TR+MKD+TCL,
 *   TR+PD+TCL, ALL), check marks for L_TR, L_MKD, L_PD, L_MTCL, then I2V and V2V CMC-1 and mAP of the student.
 * - **Table 2** (mutual learning): freeze teacher / without mutual / with mutual, same columns.
 *
 * For vehicles the columns are top-1, top-5 and mAP (VeRi-776's reporting). Cells are `mean ± std` over seeds in
 * percent (sample standard deviation, n - 1; no `±` for one seed). {@link comparisons} states the seed's two
 * orderings as paired differences per seed (ALL - TR on I2V; with mutual - freeze teacher), with a paired t test
 * (two-sided, 95%): rows of one seed share the teacher, the student's initial weights and the batches.
 *
 * Tables are `@reidfx/continual`'s `Table.TableModel`, so its text and Markdown renderers (and its HTML
 * report's table section) print them.
 * @since 0.1.0
 */
import { Markdown, Table } from "@reidfx/continual"
import type { Provenance } from "@reidfx/tensor"
import type { RetrievalScores, VideoScores } from "@reidfx/video"
import type { ConfigurationResult, MdktRun, SeedResult } from "./MdktRunner.ts"
import type { ResolvedRow, TermName } from "./MdktProtocol.ts"

/** Mean, sample standard deviation (n - 1; 0 for one value) and the values. @category models @since 0.1.0 */
export interface Stat {
  readonly mean: number
  readonly std: number
  readonly n: number
  readonly values: ReadonlyArray<number>
}

/** {@link Stat} of some values (NaN mean for none). @category constructors @since 0.1.0 */
export const stat = (values: ReadonlyArray<number>): Stat => {
  const n = values.length
  const mean = n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n
  const std = n < 2 ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1))
  return { mean, std, n, values }
}

/** The metrics of a table's columns. @category models @since 0.1.0 */
export type Metric = "cmc1" | "cmc5" | "mAP"

/** Per protocol (I2V, V2V) and metric, the statistics over seeds. @category models @since 0.1.0 */
export type Cells = Readonly<Record<"i2v" | "v2v", Readonly<Record<Metric, Stat>>>>

/** One row of a table. @category models @since 0.1.0 */
export interface TableRow {
  readonly label: string
  readonly key: string
  readonly terms: ReadonlyArray<TermName>
  readonly mode: ResolvedRow["mode"]
  /** The student's scores (what the tables show). */
  readonly student: Cells
  /** The teacher's scores after stage 2 (JSON only). */
  readonly teacher: Cells
}

/** A table as data (the JSON form). @category models @since 0.1.0 */
export interface AblationTable {
  readonly id: "table1" | "table2"
  readonly title: string
  readonly objects: "persons" | "vehicles"
  readonly seeds: ReadonlyArray<number>
  readonly metrics: ReadonlyArray<Metric>
  readonly rows: ReadonlyArray<TableRow>
}

const metrics: ReadonlyArray<Metric> = ["cmc1", "cmc5", "mAP"]

const cells = (scores: ReadonlyArray<VideoScores>): Cells => {
  const of = (p: "i2v" | "v2v") =>
    Object.fromEntries(metrics.map((m) => [m, stat(scores.map((s) => (s[p] as RetrievalScores)[m]))])) as Record<
      Metric,
      Stat
    >
  return { i2v: of("i2v"), v2v: of("v2v") }
}

const configurationOf = (seed: SeedResult, key: string): ConfigurationResult => {
  const c = seed.configurations.find((x) => x.key === key)
  if (c === undefined) throw new RangeError(`seed ${seed.seed} has no result for configuration ${key}`)
  return c
}

/** The data of Table 1 or Table 2 of a run. @category constructors @since 0.1.0 */
export const table = (
  run: Pick<MdktRun, "table1" | "table2" | "seeds" | "world">,
  id: "table1" | "table2"
): AblationTable => {
  const rows = id === "table1" ? run.table1 : run.table2
  return {
    id,
    title:
      id === "table1"
        ? "Table 1. Impact of the loss terms (student, mutual teacher unless stated)"
        : "Table 2. Impact of mutual learning (all terms)",
    objects: run.world.objects,
    seeds: run.seeds.map((s) => s.seed),
    metrics: run.world.objects === "vehicles" ? ["cmc1", "cmc5", "mAP"] : ["cmc1", "mAP"],
    rows: rows.map((r) => ({
      label: r.label,
      key: r.key,
      terms: r.terms,
      mode: r.mode,
      student: cells(run.seeds.map((s) => configurationOf(s, r.key).student)),
      teacher: cells(run.seeds.map((s) => configurationOf(s, r.key).teacher))
    }))
  }
}

/** `12.3 ± 0.4`, or `12.3` for one seed. @category rendering @since 0.1.0 */
export const formatStat = (s: Stat, digits = 1): string =>
  !Number.isFinite(s.mean)
    ? "-"
    : s.n > 1
      ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`
      : s.mean.toFixed(digits)

const metricName = (m: Metric, objects: AblationTable["objects"]): string =>
  m === "mAP" ? "mAP" : objects === "vehicles" ? (m === "cmc1" ? "top1" : "top5") : m

const termColumns: ReadonlyArray<readonly [TermName, string]> = [
  ["tr", "L_TR"],
  ["mkd", "L_MKD"],
  ["pd", "L_PD"],
  ["mtcl", "L_MTCL"]
]

const modeName = { frozen: "frozen teacher", withoutMutual: "without mutual", mutual: "mutual" } as const

/**
 * The table as `@reidfx/continual`'s `TableModel`: Table 1 has the seed's check-mark columns, Table 2 the
 * teacher's mode.
 * @category rendering
 * @since 0.1.0
 */
export const toTableModel = (t: AblationTable): Table.TableModel => {
  const ms = t.metrics.map((m) => metricName(m, t.objects))
  const first = t.id === "table1" ? termColumns.map(([, n]) => n) : ["teacher"]
  const groups = [
    { title: "", span: 1 },
    { title: t.id === "table1" ? "Losses" : "", span: first.length },
    { title: "I2V", span: ms.length },
    { title: "V2V", span: ms.length }
  ]
  const columns = ["Models", ...first, ...ms, ...ms]
  const rows = t.rows.map((r) => [
    r.label,
    ...(t.id === "table1" ? termColumns.map(([k]) => (r.terms.includes(k) ? "✓" : "×")) : [modeName[r.mode]]),
    ...t.metrics.map((m) => formatStat(r.student.i2v[m])),
    ...t.metrics.map((m) => formatStat(r.student.v2v[m]))
  ])
  return { groups, columns, rows }
}

/** A seed ordering checked as paired differences per seed. @category models @since 0.1.0 */
export interface Comparison {
  readonly claim: string
  readonly better: string
  readonly worse: string
  readonly protocol: "i2v" | "v2v"
  readonly metric: Metric
  /** `better - worse` per seed, in points. */
  readonly difference: Stat
  /** Seeds where `better > worse`. */
  readonly wins: number
  /** The mean difference is positive. */
  readonly holdsOnAverage: boolean
  /** Paired t statistic `mean / (std / sqrt(n))` (NaN for one seed or zero spread). */
  readonly t: number
  /** |t| exceeds the two-sided 95% critical value of Student's t with n - 1 degrees of freedom. */
  readonly significant: boolean
}

/** Two-sided 95% critical values of Student's t for 1..10 degrees of freedom (1.96 beyond). */
const tCritical = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228] as const

/** Paired t statistic and its 95% two-sided significance. @category analysis @since 0.1.0 */
export const pairedT = (d: Stat): { readonly t: number; readonly significant: boolean } => {
  if (d.n < 2 || d.std === 0) return { t: Number.NaN, significant: false }
  const t = d.mean / (d.std / Math.sqrt(d.n))
  return { t, significant: Math.abs(t) > (tCritical[d.n - 2] ?? 1.96) }
}

const compare = (
  run: Pick<MdktRun, "seeds">,
  claim: string,
  better: string,
  worse: string,
  protocol: "i2v" | "v2v",
  metric: Metric
): Comparison | undefined => {
  if (
    !run.seeds.every(
      (s) => s.configurations.some((c) => c.key === better) && s.configurations.some((c) => c.key === worse)
    )
  )
    return undefined
  const diffs = run.seeds.map(
    (s) => configurationOf(s, better).student[protocol][metric] - configurationOf(s, worse).student[protocol][metric]
  )
  const difference = stat(diffs)
  return {
    claim,
    better,
    worse,
    protocol,
    metric,
    difference,
    wins: diffs.filter((d) => d > 0).length,
    holdsOnAverage: difference.mean > 0,
    ...pairedT(difference)
  }
}

/**
 * The seed's two orderings: ALL above TR alone for I2V (CMC-1 and mAP), and with mutual above freeze teacher
 * (I2V and V2V, CMC-1 and mAP), when the run has those rows.
 * @category analysis
 * @since 0.1.0
 */
export const comparisons = (run: Pick<MdktRun, "seeds" | "table1" | "table2">): ReadonlyArray<Comparison> => {
  const all = run.table1.find((r) => r.label === "ALL")?.key ?? "tr+mkd+pd+mtcl@mutual"
  const tr = run.table1.find((r) => r.label === "TR")?.key ?? "tr@mutual"
  const mutual = run.table2.find((r) => r.mode === "mutual")?.key ?? "tr+mkd+pd+mtcl@mutual"
  const frozen = run.table2.find((r) => r.mode === "frozen")?.key ?? "tr+mkd+pd+mtcl@frozen"
  const out: Array<Comparison | undefined> = [
    compare(run, "ALL > TR (I2V)", all, tr, "i2v", "cmc1"),
    compare(run, "ALL > TR (I2V)", all, tr, "i2v", "mAP"),
    compare(run, "mutual > frozen teacher", mutual, frozen, "i2v", "cmc1"),
    compare(run, "mutual > frozen teacher", mutual, frozen, "i2v", "mAP"),
    compare(run, "mutual > frozen teacher", mutual, frozen, "v2v", "cmc1"),
    compare(run, "mutual > frozen teacher", mutual, frozen, "v2v", "mAP")
  ]
  return out.filter((c): c is Comparison => c !== undefined)
}

/** One line per comparison. @category rendering @since 0.1.0 */
export const comparisonLines = (cs: ReadonlyArray<Comparison>): ReadonlyArray<string> =>
  cs.map((c) => {
    const d = c.difference
    const sign = d.mean >= 0 ? "+" : ""
    return (
      `${c.claim}, ${c.protocol.toUpperCase()} ${c.metric}: ${sign}${d.mean.toFixed(2)}${d.n > 1 ? ` ± ${d.std.toFixed(2)}` : ""} points ` +
      `(paired over ${d.n} seed${d.n === 1 ? "" : "s"}; better in ${c.wins}/${d.n}${Number.isFinite(c.t) ? `; t = ${c.t.toFixed(2)}` : ""}) -> ` +
      (c.holdsOnAverage
        ? c.significant
          ? "holds (significant at 95%)"
          : "holds on average, not significant"
        : c.significant
          ? "reversed (significant at 95%)"
          : "does not hold on average (not significant)")
    )
  })

/** Both tables and the comparisons as terminal text. @category rendering @since 0.1.0 */
export const toText = (run: MdktRun): string => {
  const t1 = table(run, "table1")
  const t2 = table(run, "table2")
  const header =
    `${run.protocol.name}: ${run.world.name}, student sees ${run.protocol.student.frames} frame(s), teacher ${run.protocol.student.teacherFrames}; ` +
    `seeds ${run.seeds.map((s) => s.seed).join(", ")}; student scores in %, mean ± sample std over seeds`
  return [
    header,
    `evaluation: ${run.world.protocol}`,
    "",
    ...(t1.rows.length > 0 ? [t1.title, Table.renderText(toTableModel(t1)), ""] : []),
    ...(t2.rows.length > 0 ? [t2.title, Table.renderText(toTableModel(t2)), ""] : []),
    ...comparisonLines(comparisons(run)),
    "",
    `wall time ${run.seconds.toFixed(0)} s`
  ].join("\n")
}

/** Both tables and the comparisons as Markdown (the run's provenance under the title when given). @category rendering @since 0.1.0 */
export const toMarkdown = (run: MdktRun, provenance?: Provenance.Provenance): string => {
  const t1 = table(run, "table1")
  const t2 = table(run, "table2")
  return [
    `# ${run.protocol.name}`,
    "",
    run.protocol.description ?? "",
    "",
    ...Markdown.provenanceBlock(provenance),
    `World: ${run.world.name} (${run.world.classes} training identities, ${run.world.train} training tracklets, ${run.world.query} query and ${run.world.gallery} gallery tracklets). ` +
      `Student: ${run.protocol.student.frames} frame(s); teacher: ${run.protocol.student.teacherFrames}. Seeds ${run.seeds.map((s) => s.seed).join(", ")}. ` +
      "Student scores in %, mean ± sample standard deviation over seeds.",
    "",
    `Evaluation protocol: ${run.world.protocol}.`,
    "",
    ...(t1.rows.length > 0 ? [`## ${t1.title}`, "", Markdown.renderMarkdown(toTableModel(t1)), ""] : []),
    ...(t2.rows.length > 0 ? [`## ${t2.title}`, "", Markdown.renderMarkdown(toTableModel(t2)), ""] : []),
    "## The seed's orderings",
    "",
    ...comparisonLines(comparisons(run)).map((l) => `- ${l}`),
    "",
    `Wall time ${run.seconds.toFixed(0)} s.`
  ].join("\n")
}

/** The run as JSON: both tables as data, the comparisons, and every seed's raw results. @category rendering @since 0.1.0 */
export const toJson = (run: MdktRun) => ({
  protocol: run.protocol,
  world: run.world,
  tables: { table1: table(run, "table1"), table2: table(run, "table2") },
  comparisons: comparisons(run),
  seeds: run.seeds,
  seconds: run.seconds
})
