/**
 * The HTML report's charts as Vega-Lite specs (rendered to inline SVG by `@reidfx/chart`'s {@link Chart.toSvg}):
 *
 * - {@link taskSequenceSpec}: one figure with a row of panels per metric (the seen average and each test set
 *   over the task sequence, one line per method, ± std as a vertical rule, as in the DwoPP paper's figures). The
 *   panels of a metric share one y scale `[0, last round tick]` with the round ticks of {@link Chart.niceTicks};
 *   the metrics have their own scales; the colour legend is shared, so the figure has one legend.
 * - {@link matricesSpec}: each method's task x test-set matrix as a heat map with its value (mean ± std over
 *   seeds when there are several) printed in each cell; one colour scale for every method.
 * @since 0.1.0
 */
import { Chart } from "@reidfx/chart"
import type { Series } from "./Svg.ts"

/** One panel of a metric: its title and one series per method. @category charts @since 0.1.0 */
export interface Panel {
  readonly title: string
  readonly series: ReadonlyArray<Series>
}

/** The panels of one metric (`name` is the axis title, e.g. `Rank-1 (%)`). @category charts @since 0.1.0 */
export interface MetricPanels {
  readonly name: string
  readonly panels: ReadonlyArray<Panel>
}

/** The largest y (value + error) a set of series reaches. @category charts @since 0.1.0 */
export const seriesMax = (series: ReadonlyArray<Series>): number =>
  Math.max(
    0,
    ...series
      .flatMap((s) => s.values.map((v, i) => (v === undefined ? 0 : v + (s.errors?.[i] ?? 0))))
      .filter((v) => Number.isFinite(v))
  )

/** The y tick values shared by every panel of a metric: {@link Chart.niceTicks} of the panels' maximum. @category charts @since 0.1.0 */
export const metricTicks = (metric: MetricPanels): ReadonlyArray<number> =>
  Chart.niceTicks(Math.max(0, ...metric.panels.map((p) => seriesMax(p.series))))

/** The number of data points (measured values) a set of metrics draws. @category charts @since 0.1.0 */
export const pointCount = (metrics: ReadonlyArray<MetricPanels>): number =>
  metrics
    .flatMap((m) => m.panels.flatMap((p) => p.series.flatMap((s) => s.values)))
    .filter((v) => v !== undefined && Number.isFinite(v)).length

const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v)

/**
 * The over-the-task-sequence figure: per metric a faceted layer (line, points, ± std rules) with the panels
 * in their given order (3 per row), one y scale per metric, one shared colour legend for `methods`.
 * @category charts
 * @since 0.1.0
 */
export const taskSequenceSpec = (options: {
  readonly xLabels: ReadonlyArray<string>
  readonly methods: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<MetricPanels>
}): Chart.Spec => {
  const color = {
    field: "method",
    type: "nominal",
    title: null,
    sort: [...options.methods],
    scale: {
      domain: [...options.methods],
      range: options.methods.map((_, i) => Chart.palette[i % Chart.palette.length]!)
    }
  } as const
  const x = { field: "x", type: "ordinal", title: null, sort: [...options.xLabels], axis: { labelAngle: 0 } } as const
  const facets = options.metrics.map((metric) => {
    const ticks = metricTicks(metric)
    const y = {
      field: "mean",
      type: "quantitative",
      title: metric.name,
      scale: { domain: [0, ticks[ticks.length - 1]!] },
      axis: { values: [...ticks] }
    } as const
    const values = metric.panels.flatMap((panel) =>
      panel.series.flatMap((s) =>
        options.xLabels.map((label, i) => {
          const mean = finite(s.values[i])
          const std = finite(s.errors?.[i]) ?? 0
          return {
            panel: panel.title,
            method: s.name,
            x: label,
            mean,
            low: mean === null ? null : mean - std,
            high: mean === null ? null : mean + std
          }
        })
      )
    )
    return {
      data: { values },
      facet: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: metric.panels.map((p) => p.title)
      },
      columns: 3,
      spec: {
        width: 280,
        height: 180,
        encoding: { x, color },
        layer: [
          { mark: { type: "line", strokeWidth: 2 }, encoding: { y } },
          {
            mark: { type: "point", filled: true, size: 36, opacity: 1 },
            encoding: {
              y,
              tooltip: [
                { field: "method", type: "nominal" },
                { field: "x", type: "ordinal", title: "after" },
                { field: "mean", type: "quantitative", format: ".1f" }
              ]
            }
          },
          {
            mark: { type: "rule", strokeWidth: 1 },
            encoding: { y: { field: "low", type: "quantitative" }, y2: { field: "high" } }
          }
        ]
      },
      resolve: { scale: { y: "shared" } }
    } as const
  })
  return {
    background: "white",
    vconcat: facets as unknown as Array<never>,
    resolve: { scale: { y: "independent", color: "shared" }, legend: { color: "shared" } }
  } as Chart.Spec
}

/** One method's matrix: rows (after each task), columns (test sets), values and optional ± std. @category charts @since 0.1.0 */
export interface Matrix {
  readonly title: string
  readonly rowLabels: ReadonlyArray<string>
  readonly columnLabels: ReadonlyArray<string>
  readonly values: ReadonlyArray<ReadonlyArray<number | undefined>>
  readonly errors?: ReadonlyArray<ReadonlyArray<number | undefined>>
}

/** The text printed in a matrix cell: `45.1`, or `45.1 ± 2.3` with a std. @category charts @since 0.1.0 */
export const cellText = (v: number | undefined, err: number | undefined): string =>
  v === undefined || !Number.isFinite(v)
    ? ""
    : err === undefined || !Number.isFinite(err)
      ? v.toFixed(1)
      : `${v.toFixed(1)} ± ${err.toFixed(1)}`

/**
 * The matrices as one faceted heat map (one panel per method, 3 per row, rows and columns in their given
 * order), coloured on one scale from 0 to the largest value's round top tick, each cell's {@link cellText}
 * printed in it (white on dark cells).
 * @category charts
 * @since 0.1.0
 */
export const matricesSpec = (options: {
  readonly valueName: string
  readonly matrices: ReadonlyArray<Matrix>
  /** The order of the rows (default: as they first appear). */
  readonly rowOrder?: ReadonlyArray<string>
}): Chart.Spec => {
  const values = options.matrices.flatMap((m) =>
    m.rowLabels.flatMap((row, i) =>
      m.columnLabels.map((column, j) => {
        const v = finite(m.values[i]?.[j])
        return {
          matrix: m.title,
          row,
          column,
          value: v,
          text: cellText(v ?? undefined, m.errors?.[i]?.[j])
        }
      })
    )
  )
  const ticks = Chart.niceTicks(Math.max(0, ...values.map((v) => v.value ?? 0)))
  const top = ticks[ticks.length - 1]!
  const rows = options.rowOrder ?? [...new Set(options.matrices.flatMap((m) => m.rowLabels))]
  const columns = [...new Set(options.matrices.flatMap((m) => m.columnLabels))]
  const cellWidth = options.matrices.some((m) => m.errors !== undefined) ? 66 : 48
  return {
    background: "white",
    data: { values },
    facet: { field: "matrix", type: "nominal", title: null, sort: options.matrices.map((m) => m.title) },
    columns: 3,
    spec: {
      width: cellWidth * columns.length,
      height: 24 * rows.length,
      encoding: {
        x: { field: "column", type: "nominal", sort: columns, title: null, axis: { orient: "top", labelAngle: 0 } },
        y: { field: "row", type: "nominal", sort: [...rows], title: null }
      },
      layer: [
        {
          mark: { type: "rect", stroke: "white", strokeWidth: 2 },
          encoding: {
            color: {
              field: "value",
              type: "quantitative",
              title: options.valueName,
              scale: { scheme: "blues", domain: [0, top] },
              legend: { values: [...ticks] }
            }
          }
        },
        {
          mark: { type: "text", fontSize: 10 },
          encoding: {
            text: { field: "text", type: "nominal" },
            color: { condition: { test: `datum.value > ${top * 0.6}`, value: "white" }, value: "#222" }
          }
        }
      ]
    },
    resolve: { scale: { x: "independent", y: "independent" } }
  } as Chart.Spec
}
