/**
 * Writes a run's reports into its folder: `results.json`, `report.md` and `report.html` (atomically).
 * @since 0.1.0
 */
import type { Provenance } from "@reidfx/tensor"
import * as path from "node:path"
import { Effect } from "effect"
import type { RunStoreError } from "../errors.ts"
import type { RunResult } from "../Runner.ts"
import { writeFileAtomic } from "../RunStore.ts"
import { toHtml } from "./Html.ts"
import { toJsonText } from "./Json.ts"
import { toMarkdown } from "./Markdown.ts"

/** The files written, by kind. */
export interface Written {
  readonly json: string
  readonly markdown: string
  readonly html: string
}

/** Writes the three reports of a run into `out` (each with the run's provenance at the top, when given). */
export const write = (
  out: string,
  result: RunResult,
  provenance?: Provenance.Provenance
): Effect.Effect<Written, RunStoreError> =>
  Effect.gen(function* () {
    const files = {
      json: path.join(out, "results.json"),
      markdown: path.join(out, "report.md"),
      html: path.join(out, "report.html")
    }
    yield* writeFileAtomic(files.json, toJsonText(result, provenance))
    yield* writeFileAtomic(files.markdown, toMarkdown(result, provenance))
    yield* writeFileAtomic(files.html, yield* toHtml(result, provenance))
    return files
  })
