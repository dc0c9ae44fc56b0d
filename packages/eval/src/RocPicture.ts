/**
 * A ROC curve as a self-contained SVG picture drawn by Vega-Lite ({@link Chart}): FAR on a log axis from 1e-4
 * (smaller FARs, 0 included, are drawn at 1e-4), TAR linear on [0, 1], with an optional marked operating point:
 * what `reidfx verify` writes next to its JSON.
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Chart } from "@reidfx/chart"
import type { Roc } from "./Verification.ts"

/** The smallest FAR the picture shows; smaller ones are drawn at it. @category pictures @since 0.1.0 */
export const minFar = 1e-4

/**
 * The Vega-Lite spec of a ROC curve: one line through the ROC points in threshold order, and a red point at
 * `mark`. @category pictures @since 0.1.0
 */
export const rocSpec = (
  roc: Roc,
  options: { readonly title?: string; readonly mark?: { readonly far: number; readonly tar: number } } = {}
): Chart.Spec => {
  const x = {
    field: "far",
    type: "quantitative" as const,
    title: "FAR",
    scale: { type: "log" as const, domain: [minFar, 1] }
  }
  const y = { field: "tar", type: "quantitative" as const, title: "TAR", scale: { domain: [0, 1] } }
  const points = Array.from(roc.far, (far, i) => ({ order: i, far: Math.max(far, minFar), tar: roc.tar[i]! }))
  return {
    title: options.title ?? "ROC",
    width: 400,
    height: 280,
    background: "white",
    layer: [
      {
        data: { values: points },
        mark: { type: "line" as const, color: Chart.palette[0], strokeWidth: 2 },
        encoding: { x, y, order: { field: "order", type: "quantitative" as const } }
      },
      ...(options.mark === undefined
        ? []
        : [
            {
              data: { values: [{ far: Math.max(options.mark.far, minFar), tar: options.mark.tar }] },
              mark: { type: "point" as const, filled: true, size: 60, color: "#d33" },
              encoding: { x, y }
            }
          ])
    ]
  }
}

/** The SVG text of a ROC curve ({@link rocSpec} rendered). @category pictures @since 0.1.0 */
export const rocSvg = (
  roc: Roc,
  options: { readonly title?: string; readonly mark?: { readonly far: number; readonly tar: number } } = {}
): Effect.Effect<string> => Chart.toSvg(rocSpec(roc, options))
