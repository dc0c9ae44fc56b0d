/**
 * Helpers shared by the reports' HTML: XML escaping, the palette and the round ticks (from `@reidfx/chart`'s
 * {@link Chart}, which draws every chart with Vega-Lite), and the series type the charts take. The charts
 * themselves are Vega-Lite specs: see `Charts.ts`.
 * @since 0.1.0
 */
import { Chart } from "@reidfx/chart"

/** One line of a chart: y values at the x positions (undefined: not measured). @category charts @since 0.1.0 */
export interface Series {
  readonly name: string
  readonly values: ReadonlyArray<number | undefined>
  /** Optional error bars (± std) at each point. */
  readonly errors?: ReadonlyArray<number | undefined>
}

/** A colour-blind-safe palette (Okabe and Ito 2008); {@link Chart.palette}. @category charts @since 0.1.0 */
export const palette = Chart.palette

/** Escapes text for XML / HTML; {@link Chart.escapeXml}. @category charts @since 0.1.0 */
export const escapeXml = Chart.escapeXml

/** Round ticks from 0 to at least `max`; {@link Chart.niceTicks}. @category charts @since 0.1.0 */
export const niceTicks = Chart.niceTicks

/** Same as {@link escapeXml} (kept for existing callers). @category charts @since 0.1.0 */
export { escapeXml as escape }
