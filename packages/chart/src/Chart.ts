/**
 * Charts drawn by a charting library: a chart is a Vega-Lite specification (Satyanarayan, Moritz, Wongsuphasawat
 * and Heer, "Vega-Lite: A Grammar of Interactive Graphics", IEEE TVCG 2017; https://vega.github.io/vega-lite/)
 * with its data inline, compiled to Vega by `vega-lite` and rendered to a static SVG string in Node by `vega`'s
 * headless View (`renderer: "none"`, `view.toSVG()`): no browser, no canvas, and no script or network request in
 * what it writes, so a report that inlines the SVG stays one offline file.
 *
 * Also here, shared by every report that draws with it: the colour-blind-safe {@link palette}, the round
 * {@link niceTicks} (every chart of one metric gets the same explicit domain and tick values, so panels compare
 * at a glance) and {@link escapeXml}.
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as vega from "vega"
import { compile, type TopLevelSpec } from "vega-lite"

/** A Vega-Lite specification with its data inline. @category models @since 0.1.0 */
export type Spec = TopLevelSpec

/** A colour-blind-safe palette (Okabe and Ito 2008). @category style @since 0.1.0 */
export const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"] as const

/** The look shared by reidfx's charts (font, axis and legend styling), merged under a spec's own `config`. @category style @since 0.1.0 */
export const config = {
  font: "system-ui, sans-serif",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: "#e6e6e6" },
  header: { labelFontSize: 13, labelFontWeight: "bold" },
  legend: { orient: "top", labelFontSize: 12, titleFontSize: 12, symbolType: "square" },
  title: { fontSize: 13 }
} as const

/** Escapes text for XML / HTML. @category style @since 0.1.0 */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * Readable ticks from 0 to at least `max`: the step is 1, 2 or 5 times a power of ten, the smallest giving at
 * most 5 intervals, so labels are round (0 / 20 / 40 / 60 / 80, never 0 / 22.5 / 45 / 67.5). A chart's y scale
 * is `[0, last tick]` with these tick values.
 * @category style
 * @since 0.1.0
 */
export const niceTicks = (max: number): ReadonlyArray<number> => {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 0.25, 0.5, 0.75, 1]
  const power = 10 ** Math.floor(Math.log10(max / 5))
  const step = [1, 2, 5, 10].map((f) => f * power).find((st) => Math.ceil(max / st - 1e-9) <= 5) ?? 10 * power
  const count = Math.max(1, Math.ceil(max / step - 1e-9))
  return Array.from({ length: count + 1 }, (_, k) => Number((k * step).toPrecision(12)))
}

/**
 * Renders a spec to an SVG string: compiles it with Vega-Lite (the spec's `config` over {@link config}), runs a
 * headless Vega View and returns `view.toSVG()`; the view is finalized afterwards. The specs are built by reidfx
 * from data it computed, so a rendering failure is a defect (a bug), not a typed error.
 * @category rendering
 * @since 0.1.0
 */
export const toSvg = (spec: Spec): Effect.Effect<string> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const compiled = compile({ ...spec, config: { ...config, ...(spec.config ?? {}) } } as Spec).spec
      return new vega.View(vega.parse(compiled), { renderer: "none" })
    }),
    (view) => Effect.promise(() => view.toSVG()),
    (view) => Effect.sync(() => view.finalize())
  )

/**
 * An HTML figure holding a rendered chart, marked for readers and tests: `data-chart` names the chart and
 * `data-points` counts the data points drawn in it.
 * @category rendering
 * @since 0.1.0
 */
export const figure = (options: { readonly name: string; readonly points: number; readonly svg: string }): string =>
  `<figure class="chart" data-chart="${escapeXml(options.name)}" data-points="${options.points}">${options.svg}</figure>`
