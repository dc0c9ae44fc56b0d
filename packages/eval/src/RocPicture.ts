/**
 * A ROC curve as a self-contained SVG picture (FAR on a log axis from 1e-4, TAR linear), with an optional marked
 * operating point: what `reidfx verify` writes next to its JSON.
 * @since 0.1.0
 */
import type { Roc } from "./Verification.ts"

/** The SVG text of a ROC curve. @category pictures @since 0.1.0 */
export const rocSvg = (
  roc: Roc,
  options: { readonly title?: string; readonly mark?: { readonly far: number; readonly tar: number } } = {}
): string => {
  const [w, h, pad] = [480, 360, 48]
  const minLog = -4
  const x = (far: number) => pad + ((Math.log10(Math.max(far, 10 ** minLog)) - minLog) / -minLog) * (w - 2 * pad)
  const y = (tar: number) => h - pad - tar * (h - 2 * pad)
  const points = Array.from(roc.far, (f, i) => `${x(f).toFixed(1)},${y(roc.tar[i]!).toFixed(1)}`).join(" ")
  const ticks = [-4, -3, -2, -1, 0]
    .map(
      (e) => `<text x="${x(10 ** e).toFixed(1)}" y="${h - pad + 16}" font-size="11" text-anchor="middle">1e${e}</text>`
    )
    .join("")
  const yTicks = [0, 0.5, 1]
    .map((t) => `<text x="${pad - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end">${t}</text>`)
    .join("")
  const mark =
    options.mark === undefined
      ? ""
      : `<circle cx="${x(options.mark.far).toFixed(1)}" cy="${y(options.mark.tar).toFixed(1)}" r="4" fill="#d33"/>`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="20" font-size="13" text-anchor="middle">${options.title ?? "ROC"}</text>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="black"/>`,
    ticks,
    yTicks,
    `<text x="${w / 2}" y="${h - 8}" font-size="12" text-anchor="middle">FAR</text><text x="14" y="${h / 2}" font-size="12" transform="rotate(-90 14 ${h / 2})" text-anchor="middle">TAR</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points}"/>`,
    mark,
    "</svg>"
  ].join("\n")
}
