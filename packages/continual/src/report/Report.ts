/**
 * The engine's one report writer: a run's `results.json`, `report.md` and `report.html` in its folder, each
 * written atomically and durably (`RunStore.writeFileAtomic`, so a crash leaves the old file or the new one,
 * never half of one), with the run's provenance at the top of each. Every protocol kind writes its reports
 * through {@link writeWith}, giving its result and its {@link Renderers}: the lifelong runs with
 * {@link lifelong} ({@link write}), `@reidfx/reid`'s MDKT application with its ablation tables
 * (`MdktReport.write`).
 * @since 0.1.0
 */
import type { Provenance } from "@reidfx/tensor"
import * as path from "node:path"
import { Effect } from "effect"
import type { RunStoreError } from "../errors.ts"
import type { RunResult } from "../Runner.ts"
import { writeFileAtomic } from "../RunStore.ts"
import { toHtml } from "./Html.ts"
import { jsonText, toJson } from "./Json.ts"
import { toMarkdown } from "./Markdown.ts"

/** The files written, by kind. @category models @since 0.1.0 */
export interface Written {
  readonly json: string
  readonly markdown: string
  readonly html: string
}

/**
 * How a protocol kind renders its result `A` into the three reports. The writer owns the files and where the
 * provenance goes in `results.json` (its first key); a Markdown or HTML renderer places the provenance it is
 * given under its title with `Markdown.provenanceBlock` / `Html.provenanceNote` (empty when undefined).
 * @category models
 * @since 0.1.0
 */
export interface Renderers<A> {
  /** `results.json`: the result as a JSON object (without provenance: the writer puts it first). */
  readonly json: (result: A) => object
  /** `report.md`. */
  readonly markdown: (result: A, provenance: Provenance.Provenance | undefined) => string
  /** `report.html` (an Effect: charts are rendered by Vega-Lite). */
  readonly html: (result: A, provenance: Provenance.Provenance | undefined) => Effect.Effect<string>
}

/**
 * Writes the three reports of `result` into `out` with `renderers`, each atomically, with the run's provenance
 * at the top when given. @category io @since 0.1.0
 */
export const writeWith = <A>(
  out: string,
  result: A,
  renderers: Renderers<A>,
  provenance?: Provenance.Provenance
): Effect.Effect<Written, RunStoreError> =>
  Effect.gen(function* () {
    const files = {
      json: path.join(out, "results.json"),
      markdown: path.join(out, "report.md"),
      html: path.join(out, "report.html")
    }
    yield* writeFileAtomic(files.json, jsonText(renderers.json(result), provenance))
    yield* writeFileAtomic(files.markdown, renderers.markdown(result, provenance))
    yield* writeFileAtomic(files.html, yield* renderers.html(result, provenance))
    return files
  })

/** The renderers of a lifelong run (`Json.toJson`, `Markdown.toMarkdown`, `Html.toHtml`). @category rendering @since 0.1.0 */
export const lifelong: Renderers<RunResult> = {
  json: (result) => toJson(result),
  markdown: toMarkdown,
  html: toHtml
}

/** Writes the three reports of a lifelong run into `out` (each with the run's provenance at the top, when given). @category io @since 0.1.0 */
export const write = (
  out: string,
  result: RunResult,
  provenance?: Provenance.Provenance
): Effect.Effect<Written, RunStoreError> => writeWith(out, result, lifelong, provenance)
