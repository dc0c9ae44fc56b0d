/**
 * The ledger of a lifelong run: every evaluation as a cell (method, seed, after which task, test set,
 * metrics), and the pure functions that derive what the tables and plots show.
 *
 * Notation: `R[i][j]` is a metric on the seen test set of task `j` after learning task `i` (`i = -1` is the
 * untrained model); `T` tasks; the final row is `i = T - 1`.
 *
 * - **Seen average** after task `i`: the mean of `R[i][j]` over `j <= i` (every task seen so far), as in the
 *   "seen avg." column of the DwoPP paper.
 * - **Unseen** after task `i`: the metric on the unseen test set (the mean if there are several).
 * - **Forgetting** of test set `j` (Chaudhry et al., ECCV 2018, "Riemannian Walk"): the drop from the best score
 *   reached before the last task to the final score, `f_j = max_{l in [j, T-2]} R[l][j] - R[T-1][j]`, for
 *   `j < T - 1`. Positive means forgotten. The mean forgetting averages `f_j` over `j < T - 1`.
 * - **Backward transfer** of test set `j` (Lopez-Paz and Ranzato, NeurIPS 2017, GEM): the change from the score
 *   right after learning task `j` to the final score, `BWT_j = R[T-1][j] - R[j][j]`, for `j < T - 1`; negative
 *   means forgetting. The mean BWT averages over `j < T - 1`.
 * - Over seeds: the mean and the sample standard deviation (n - 1 in the denominator; 0 for a single seed).
 *
 * Everything here is a pure function of cells, tested on hand-made results.
 * @since 0.1.0
 */
import type { TestSetInfo } from "./Benchmark.ts"
import * as Metrics from "./Metrics.ts"

/** One evaluation: a model after task `after` (-1: untrained) on one test set. */
export interface Cell {
  readonly method: string
  readonly seed: number
  readonly after: number
  readonly testSet: string
  readonly metrics: Metrics.Metrics
}

/** The shape of a run: how many tasks, which test sets. */
export interface Layout {
  readonly tasks: number
  readonly testSets: ReadonlyArray<TestSetInfo>
}

/** A mean over seeds with its sample standard deviation. */
export interface Stat {
  readonly mean: number
  readonly std: number
  readonly n: number
}

/** Mean and sample standard deviation (n - 1; 0 for one value) of the finite values; undefined if none. */
export const stat = (values: ReadonlyArray<number | undefined>): Stat | undefined => {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v))
  if (xs.length === 0) return undefined
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.length < 2 ? 0 : xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)
  return { mean, std: Math.sqrt(variance), n: xs.length }
}

const mean = (values: ReadonlyArray<number | undefined>): number | undefined => stat(values)?.mean

const keyOf = (c: {
  readonly method: string
  readonly seed: number
  readonly after: number
  readonly testSet: string
}) => `${c.method}\u0000${c.seed}\u0000${c.after}\u0000${c.testSet}`

// cells are immutable arrays: index each one once (the first cell of a key wins, as a linear search would)
const indexes = new WeakMap<ReadonlyArray<Cell>, ReadonlyMap<string, Cell>>()
const indexOf = (cells: ReadonlyArray<Cell>): ReadonlyMap<string, Cell> => {
  let index = indexes.get(cells)
  if (index === undefined) {
    const m = new Map<string, Cell>()
    for (const c of cells) if (!m.has(keyOf(c))) m.set(keyOf(c), c)
    indexes.set(cells, m)
    index = m
  }
  return index
}

/** The metric of one cell, if it was measured. */
export const lookup = (
  cells: ReadonlyArray<Cell>,
  key: { readonly method: string; readonly seed: number; readonly after: number; readonly testSet: string },
  metric: Metrics.MetricName
): number | undefined => {
  const cell = indexOf(cells).get(keyOf(key))
  return cell === undefined ? undefined : Metrics.value(cell.metrics, metric)
}

/** The `after` indices measured for a method and seed, ascending (-1 first when the untrained model was). */
export const rows = (cells: ReadonlyArray<Cell>, method: string, seed: number): ReadonlyArray<number> =>
  [...new Set(cells.filter((c) => c.method === method && c.seed === seed).map((c) => c.after))].sort((a, b) => a - b)

/** The seen test sets in task order. */
export const seenSets = (layout: Layout): ReadonlyArray<TestSetInfo> =>
  layout.testSets
    .filter((t) => t.kind === "seen")
    .slice()
    .sort((a, b) => (a.task ?? 0) - (b.task ?? 0))

/** The unseen test sets. */
export const unseenSets = (layout: Layout): ReadonlyArray<TestSetInfo> =>
  layout.testSets.filter((t) => t.kind === "unseen")

/**
 * The task x test-set matrix `R[i][j]` of one method and seed: one row per measured `after` index (in
 * `rows`), one column per test set of the layout (seen ones in task order, then unseen). Unmeasured entries
 * are undefined.
 */
export const matrix = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  metric: Metrics.MetricName
): {
  readonly rows: ReadonlyArray<number>
  readonly columns: ReadonlyArray<string>
  readonly values: ReadonlyArray<ReadonlyArray<number | undefined>>
} => {
  const columns = [...seenSets(layout), ...unseenSets(layout)].map((t) => t.name)
  const rs = rows(cells, method, seed)
  return {
    rows: rs,
    columns,
    values: rs.map((after) => columns.map((testSet) => lookup(cells, { method, seed, after, testSet }, metric)))
  }
}

/** Mean of the metric over the seen test sets of tasks `0..after` after learning task `after`. */
export const seenAverage = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  after: number,
  metric: Metrics.MetricName
): number | undefined =>
  after < 0
    ? undefined
    : mean(
        seenSets(layout)
          .filter((t) => (t.task ?? 0) <= after)
          .map((t) => lookup(cells, { method, seed, after, testSet: t.name }, metric))
      )

/** The metric on the unseen test set(s) after task `after` (mean over unseen sets). */
export const unseen = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  after: number,
  metric: Metrics.MetricName
): number | undefined =>
  mean(unseenSets(layout).map((t) => lookup(cells, { method, seed, after, testSet: t.name }, metric)))

/**
 * The entries `R[l][j]` (`after(l)`) of the seen test set of task `j` and the last task index `T-1`; undefined for
 * the last task's test set or a test set of no task (no forgetting / transfer is defined there).
 */
const seenTaskRow = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  testSet: TestSetInfo,
  metric: Metrics.MetricName
): { readonly task: number; readonly last: number; readonly after: (l: number) => number | undefined } | undefined => {
  const task = testSet.task
  const last = layout.tasks - 1
  if (task === undefined || task >= last) return undefined
  return { task, last, after: (l) => lookup(cells, { method, seed, after: l, testSet: testSet.name }, metric) }
}

/**
 * Forgetting of the seen test set of task `j` (Chaudhry et al. 2018): `max_{l in [j, T-2]} R[l][j] - R[T-1][j]`.
 * Undefined for the last task's test set, or when the needed entries were not measured.
 */
export const forgetting = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  testSet: TestSetInfo,
  metric: Metrics.MetricName
): number | undefined => {
  const r = seenTaskRow(cells, layout, method, seed, testSet, metric)
  if (r === undefined) return undefined
  const final = r.after(r.last)
  const earlier: Array<number> = []
  for (let l = r.task; l < r.last; l++) {
    const v = r.after(l)
    if (v !== undefined) earlier.push(v)
  }
  if (final === undefined || earlier.length === 0) return undefined
  return Math.max(...earlier) - final
}

/**
 * Backward transfer on the seen test set of task `j` (Lopez-Paz and Ranzato 2017): `R[T-1][j] - R[j][j]`.
 * Undefined for the last task's test set or when not measured.
 */
export const backwardTransfer = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  testSet: TestSetInfo,
  metric: Metrics.MetricName
): number | undefined => {
  const r = seenTaskRow(cells, layout, method, seed, testSet, metric)
  if (r === undefined) return undefined
  const final = r.after(r.last)
  const justAfter = r.after(r.task)
  return final === undefined || justAfter === undefined ? undefined : final - justAfter
}

/** Mean forgetting over the seen test sets of tasks `0..T-2`. */
export const meanForgetting = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  metric: Metrics.MetricName
): number | undefined => mean(seenSets(layout).map((t) => forgetting(cells, layout, method, seed, t, metric)))

/** Mean backward transfer over the seen test sets of tasks `0..T-2`. */
export const meanBackwardTransfer = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  seed: number,
  metric: Metrics.MetricName
): number | undefined => mean(seenSets(layout).map((t) => backwardTransfer(cells, layout, method, seed, t, metric)))

/** The seeds a method was run with, ascending. */
export const seedsOf = (cells: ReadonlyArray<Cell>, method: string): ReadonlyArray<number> =>
  [...new Set(cells.filter((c) => c.method === method).map((c) => c.seed))].sort((a, b) => a - b)

/** The methods of the cells, in first-appearance order. */
export const methodsOf = (cells: ReadonlyArray<Cell>): ReadonlyArray<string> => [...new Set(cells.map((c) => c.method))]

/** The metrics every summary reports. */
export const reportedMetrics: ReadonlyArray<Metrics.MetricName> = ["mAP", "rank1", "rank5", "rank10", "mINP"]

type PerMetric = Readonly<Record<string, Stat | undefined>>

/** One method's results over seeds: the final row, the curves over tasks, forgetting and BWT. */
export interface MethodSummary {
  readonly method: string
  readonly seeds: ReadonlyArray<number>
  /** Final metrics per test set (after the last task). */
  readonly final: Readonly<Record<string, PerMetric>>
  readonly seenAverage: PerMetric
  readonly unseen: PerMetric
  readonly forgetting: Readonly<Record<string, PerMetric>>
  readonly meanForgetting: PerMetric
  readonly backwardTransfer: Readonly<Record<string, PerMetric>>
  readonly meanBackwardTransfer: PerMetric
  /** After which tasks it was measured (-1: untrained) and the curves over them. */
  readonly curve: {
    readonly after: ReadonlyArray<number>
    readonly testSets: Readonly<Record<string, Readonly<Record<string, ReadonlyArray<Stat | undefined>>>>>
    readonly seenAverage: Readonly<Record<string, ReadonlyArray<Stat | undefined>>>
    readonly unseen: Readonly<Record<string, ReadonlyArray<Stat | undefined>>>
  }
}

const perMetric = (
  metrics: ReadonlyArray<Metrics.MetricName>,
  f: (metric: Metrics.MetricName) => Stat | undefined
): PerMetric => Object.fromEntries(metrics.map((m) => [m, f(m)]))

/** Summarises one method over its seeds. */
export const summarize = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  method: string,
  metrics: ReadonlyArray<Metrics.MetricName> = reportedMetrics
): MethodSummary => {
  const seeds = seedsOf(cells, method)
  const last = layout.tasks - 1
  const allSets = [...seenSets(layout), ...unseenSets(layout)]
  const overSeeds = (f: (seed: number) => number | undefined) => stat(seeds.map(f))
  const after = [...new Set(seeds.flatMap((s) => rows(cells, method, s)))].sort((a, b) => a - b)
  return {
    method,
    seeds,
    final: Object.fromEntries(
      allSets.map((t) => [
        t.name,
        perMetric(metrics, (m) => overSeeds((s) => lookup(cells, { method, seed: s, after: last, testSet: t.name }, m)))
      ])
    ),
    seenAverage: perMetric(metrics, (m) => overSeeds((s) => seenAverage(cells, layout, method, s, last, m))),
    unseen: perMetric(metrics, (m) => overSeeds((s) => unseen(cells, layout, method, s, last, m))),
    forgetting: Object.fromEntries(
      seenSets(layout)
        .filter((t) => (t.task ?? 0) < last)
        .map((t) => [t.name, perMetric(metrics, (m) => overSeeds((s) => forgetting(cells, layout, method, s, t, m)))])
    ),
    meanForgetting: perMetric(metrics, (m) => overSeeds((s) => meanForgetting(cells, layout, method, s, m))),
    backwardTransfer: Object.fromEntries(
      seenSets(layout)
        .filter((t) => (t.task ?? 0) < last)
        .map((t) => [
          t.name,
          perMetric(metrics, (m) => overSeeds((s) => backwardTransfer(cells, layout, method, s, t, m)))
        ])
    ),
    meanBackwardTransfer: perMetric(metrics, (m) =>
      overSeeds((s) => meanBackwardTransfer(cells, layout, method, s, m))
    ),
    curve: {
      after,
      testSets: Object.fromEntries(
        allSets.map((t) => [
          t.name,
          Object.fromEntries(
            metrics.map((m) => [
              m,
              after.map((a) => overSeeds((s) => lookup(cells, { method, seed: s, after: a, testSet: t.name }, m)))
            ])
          )
        ])
      ),
      seenAverage: Object.fromEntries(
        metrics.map((m) => [m, after.map((a) => overSeeds((s) => seenAverage(cells, layout, method, s, a, m)))])
      ),
      unseen: Object.fromEntries(
        metrics.map((m) => [m, after.map((a) => overSeeds((s) => unseen(cells, layout, method, s, a, m)))])
      )
    }
  }
}

/**
 * The per-seed difference of two methods on the final seen average or unseen score, over the seeds both ran:
 * `mean ± std` of `score_a(seed) - score_b(seed)`. Every method of a seed starts from the same weights and draws
 * the same random numbers, so paired differences are less noisy than the difference of the two means.
 */
export const pairedDifference = (
  cells: ReadonlyArray<Cell>,
  layout: Layout,
  a: string,
  b: string,
  metric: Metrics.MetricName,
  of: "seenAverage" | "unseen"
): Stat | undefined => {
  const last = layout.tasks - 1
  const score = of === "seenAverage" ? seenAverage : unseen
  const seeds = seedsOf(cells, a).filter((s) => seedsOf(cells, b).includes(s))
  return stat(
    seeds.map((s) => {
      const x = score(cells, layout, a, s, last, metric)
      const y = score(cells, layout, b, s, last, metric)
      return x === undefined || y === undefined ? undefined : x - y
    })
  )
}
