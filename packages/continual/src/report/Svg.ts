/**
 * Charts as inline SVG strings, generated in TypeScript (no library, no network): a line chart with one line
 * per series over the task sequence, and a heat map of a matrix. Each series carries `data-series` and
 * `data-points` attributes so that a test (or a reader) can check that a plot has data.
 * @since 0.1.0
 */

/** One line of a chart: y values at the x positions (undefined: not measured). */
export interface Series {
  readonly name: string
  readonly values: ReadonlyArray<number | undefined>
  /** Optional error bars (± std) at each point. */
  readonly errors?: ReadonlyArray<number | undefined>
}

/** A colour-blind-safe palette (Okabe and Ito 2008). */
export const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"] as const

/** Escapes text for XML / HTML. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const niceMax = (max: number): number => {
  if (!(max > 0)) return 1
  const step = 10 ** Math.floor(Math.log10(max))
  return Math.ceil(max / step) * step
}

/**
 * Readable ticks from 0 to at least `max`: the step is 1, 2 or 5 times a power of ten, the smallest giving at
 * most 5 intervals, so labels are round (0 / 20 / 40 / 60 / 80, never 0 / 22.5 / 45 / 67.5).
 */
export const niceTicks = (max: number): ReadonlyArray<number> => {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 0.25, 0.5, 0.75, 1]
  const power = 10 ** Math.floor(Math.log10(max / 5))
  const step = [1, 2, 5, 10].map((f) => f * power).find((st) => Math.ceil(max / st - 1e-9) <= 5) ?? 10 * power
  const count = Math.max(1, Math.ceil(max / step - 1e-9))
  return Array.from({ length: count + 1 }, (_, k) => Number((k * step).toPrecision(12)))
}

/** The largest y (value + error) a chart's series reach; charts of one metric share the maximum of theirs as `yMax`. */
export const seriesMax = (series: ReadonlyArray<Series>): number =>
  Math.max(
    0,
    ...series
      .flatMap((s) => s.values.map((v, i) => (v === undefined ? 0 : v + (s.errors?.[i] ?? 0))))
      .filter((v) => Number.isFinite(v))
  )

/** One legend for a set of charts (their series in order, in the palette's colours). */
export const legend = (names: ReadonlyArray<string>): string => {
  const widths = names.map((n) => 24 + 7 * n.length)
  const width = widths.reduce((a, b) => a + b, 8)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="legend" width="${width}" height="22" viewBox="0 0 ${width} 22" role="img" aria-label="legend">`
  ]
  let x = 4
  names.forEach((name, i) => {
    const color = palette[i % palette.length]!
    parts.push(
      `<rect x="${x}" y="6" width="12" height="12" fill="${color}"/><text x="${x + 16}" y="16" font-size="12">${escapeXml(name)}</text>`
    )
    x += widths[i]!
  })
  parts.push("</svg>")
  return parts.join("")
}

/**
 * A line chart: x positions are labelled by `xLabels`; y is scaled from 0 to a round maximum. Points are
 * drawn where a value exists, joined by lines within runs of consecutive values.
 */
export const lineChart = (options: {
  readonly title: string
  readonly xLabels: ReadonlyArray<string>
  readonly series: ReadonlyArray<Series>
  readonly yLabel: string
  readonly width?: number
  readonly height?: number
  /** The top of the y scale (default: this chart's own maximum); give charts of one metric the same one. */
  readonly yMax?: number
  /** Draw the legend under the chart (default true; false when the page has one legend for all charts). */
  readonly legend?: boolean
}): string => {
  const width = options.width ?? 420
  const withLegend = options.legend !== false
  const height = options.height ?? (withLegend ? 260 : 240)
  const m = { left: 46, right: 26, top: 28, bottom: withLegend ? 40 : 24 }
  const plotW = width - m.left - m.right
  const plotH = height - m.top - m.bottom
  const ticks = niceTicks(options.yMax ?? seriesMax(options.series))
  const yMax = ticks[ticks.length - 1]!
  const n = options.xLabels.length
  const x = (i: number) => m.left + (n <= 1 ? plotW / 2 : (plotW * i) / (n - 1))
  const y = (v: number) => m.top + plotH - (plotH * v) / yMax
  const parts: Array<string> = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`
  )
  parts.push(`<title>${escapeXml(options.title)}</title>`)
  parts.push(
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`
  )
  for (const v of ticks) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`
    )
    parts.push(
      `<text x="${m.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10">${Number(v.toPrecision(3))}</text>`
    )
  }
  options.xLabels.forEach((label, i) => {
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${height - m.bottom + 14}" text-anchor="middle" font-size="10">${escapeXml(label)}</text>`
    )
  })
  parts.push(
    `<text x="12" y="${m.top + plotH / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`
  )
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`)
  parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`)
  options.series.forEach((s, si) => {
    const color = palette[si % palette.length]!
    const points = s.values.map((v, i) =>
      v === undefined || !Number.isFinite(v) ? undefined : ([x(i), y(v), v, i] as const)
    )
    const count = points.filter((p) => p !== undefined).length
    parts.push(
      `<g class="series" data-series="${escapeXml(s.name)}" data-points="${count}" stroke="${color}" fill="${color}">`
    )
    let run: Array<string> = []
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline fill="none" stroke-width="2" points="${run.join(" ")}"/>`)
      run = []
    }
    for (const p of points) {
      if (p === undefined) flush()
      else run.push(`${p[0].toFixed(1)},${p[1].toFixed(1)}`)
    }
    flush()
    for (const p of points) {
      if (p === undefined) continue
      const err = s.errors?.[p[3]]
      if (err !== undefined && err > 0) {
        parts.push(
          `<line stroke-width="1" x1="${p[0].toFixed(1)}" x2="${p[0].toFixed(1)}" y1="${y(p[2] - err).toFixed(1)}" y2="${y(p[2] + err).toFixed(1)}"/>`
        )
      }
      parts.push(
        `<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="3"><title>${escapeXml(`${s.name}, ${options.xLabels[p[3]]}: ${p[2].toFixed(1)}`)}</title></circle>`
      )
    }
    parts.push("</g>")
  })
  const legendY = height - 10
  let lx = m.left
  if (withLegend)
    options.series.forEach((s, si) => {
      const color = palette[si % palette.length]!
      parts.push(`<rect x="${lx}" y="${legendY - 8}" width="10" height="10" fill="${color}"/>`)
      parts.push(`<text x="${lx + 13}" y="${legendY + 1}" font-size="10">${escapeXml(s.name)}</text>`)
      lx += 18 + 6.5 * s.name.length
    })
  parts.push("</svg>")
  return parts.join("")
}

const cellText = (v: number | undefined, err: number | undefined): string =>
  v === undefined
    ? ""
    : err === undefined || !Number.isFinite(err)
      ? v.toFixed(1)
      : `${v.toFixed(1)} ± ${err.toFixed(1)}`

/** A heat map of a matrix (values in [0, max]), with each value printed in its cell. */
export const heatMap = (options: {
  readonly title: string
  readonly rowLabels: ReadonlyArray<string>
  readonly columnLabels: ReadonlyArray<string>
  readonly values: ReadonlyArray<ReadonlyArray<number | undefined>>
  /** ± std of each value, printed after it (`45.1 ± 2.3`). */
  readonly errors?: ReadonlyArray<ReadonlyArray<number | undefined>>
  readonly max?: number
}): string => {
  const cw = options.errors === undefined ? 64 : 92
  const ch = 24
  const left = 70
  const top = 44
  const width = left + cw * options.columnLabels.length + 10
  const height = top + ch * options.rowLabels.length + 10
  const finite = options.values.flat().filter((v): v is number => v !== undefined && Number.isFinite(v))
  const max = options.max ?? niceMax(Math.max(0, ...finite))
  const parts: Array<string> = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`
  )
  parts.push(`<title>${escapeXml(options.title)}</title>`)
  parts.push(`<text x="4" y="14" font-size="12" font-weight="bold">${escapeXml(options.title)}</text>`)
  options.columnLabels.forEach((c, j) => {
    parts.push(
      `<text x="${left + cw * j + cw / 2}" y="${top - 6}" text-anchor="middle" font-size="10">${escapeXml(c)}</text>`
    )
  })
  parts.push(`<g class="series" data-series="${escapeXml(options.title)}" data-points="${finite.length}">`)
  options.rowLabels.forEach((r, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + ch * i + ch / 2 + 4}" text-anchor="end" font-size="10">${escapeXml(r)}</text>`
    )
    options.columnLabels.forEach((_, j) => {
      const v = options.values[i]?.[j]
      const t = v === undefined || !Number.isFinite(v) ? undefined : Math.max(0, Math.min(1, v / max))
      const fill =
        t === undefined
          ? "#f4f4f4"
          : `rgb(${Math.round(255 - 200 * t)},${Math.round(255 - 120 * t)},${Math.round(255 - 40 * t)})`
      parts.push(`<rect x="${left + cw * j}" y="${top + ch * i}" width="${cw - 2}" height="${ch - 2}" fill="${fill}"/>`)
      parts.push(
        `<text x="${left + cw * j + cw / 2}" y="${top + ch * i + ch / 2 + 4}" text-anchor="middle" font-size="10">${cellText(v, options.errors?.[i]?.[j])}</text>`
      )
    })
  })
  parts.push("</g></svg>")
  return parts.join("")
}

/** Same as {@link escapeXml} (kept for existing callers). */
export { escapeXml as escape }
