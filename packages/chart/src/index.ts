/**
 * @reidfx/chart: charts as Vega-Lite specifications rendered to static SVG in Node (no browser, no script, no
 * network in what it writes), with the palette, round ticks and figure markup every reidfx report shares. It
 * depends on `vega` and `vega-lite` only, so the lifelong engine (`@reidfx/continual`), the evaluation package
 * (`@reidfx/eval`'s ROC picture) and the recipes (`@reidfx/reid`'s MDKT report) draw with it without depending
 * on one another. (`Chart` was `@reidfx/eval`'s until issue 12.)
 * @since 0.1.0
 */
export * as Chart from "./Chart.ts"
