/**
 * A sweep's report, rebuilt from the store: for each protocol variant, the finished units assembled into the
 * `RunResult` that a single-process `reidfx run` of the same grid returns (cells and unit states in its
 * order: seed, then method), then continual's own report functions (the same tables, verdicts and plots).
 * A partial sweep gives partial tables: methods or seeds with no finished unit yet are left out.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Report, type Runner, type RunStoreError, Table } from "@reidfx/continual"
import { ProtocolFile } from "@reidfx/reid"
import { Effect } from "effect"
import type { UnitRow } from "./UnitStore.ts"

/** One variant's result, with how many of its units are finished. */
export interface VariantResult {
  readonly variant: string
  readonly finished: number
  readonly units: number
  /** undefined while no unit of the variant is finished. */
  readonly result: Runner.RunResult | undefined
}

/** Assembles each variant's `RunResult` from the units' rows (in sweep order). */
export const fromUnits = (rows: ReadonlyArray<UnitRow>): ReadonlyArray<VariantResult> => {
  const variants = [...new Set(rows.map((r) => r.variant))]
  return variants.map((variant) => {
    const all = rows.filter((r) => r.variant === variant).sort((a, b) => a.ordinal - b.ordinal)
    const done = all.filter((r) => r.status === "done" && r.result !== undefined)
    const first = done[0]
    if (first === undefined || first.result === undefined)
      return { variant, finished: 0, units: all.length, result: undefined }
    const methodOrder = [...new Set(all.map((r) => r.method))]
    const methods = methodOrder.flatMap((m) => {
      const row = done.find((r) => r.method === m)
      return row?.result === undefined ? [] : [row.result.method]
    })
    const seeds = [...new Set(done.map((r) => r.seed))]
    const states = done.map((r) => r.result!.state)
    const computeSeconds = done.reduce((a, r) => a + r.result!.computeSeconds, 0)
    const result: Runner.RunResult = {
      protocol: first.protocol,
      protocolJson: ProtocolFile.toJson(first.protocol),
      layout: first.result.layout,
      methods,
      seeds,
      cells: states.flatMap((s) => s.cells),
      units: states,
      seconds: computeSeconds,
      computeSeconds
    }
    return { variant, finished: done.length, units: all.length, result }
  })
}

/** The folder of a variant's reports and unit run folders under a sweep's work folder. */
export const variantDir = (work: string, sweepId: string, variant: string): string =>
  path.join(work, sweepId, variant.replace(/[^A-Za-z0-9_.=,[\]-]+/g, "_"))

/** Writes each variant's reports (`results.json`, `report.md`, `report.html`) into its folder. */
export const write = (
  work: string,
  sweepId: string,
  rows: ReadonlyArray<UnitRow>
): Effect.Effect<ReadonlyArray<VariantResult>, RunStoreError> =>
  Effect.gen(function* () {
    const results = fromUnits(rows)
    for (const v of results) {
      if (v.result !== undefined) yield* Report.write(variantDir(work, sweepId, v.variant), v.result)
    }
    return results
  })

/** The terminal text of a sweep's tables: one block per variant. */
export const toText = (results: ReadonlyArray<VariantResult>): string =>
  results
    .map(
      (v) =>
        `${v.variant} (${v.finished}/${v.units} units)\n` +
        (v.result === undefined ? "  no unit finished yet" : Table.toText(v.result))
    )
    .join("\n\n")
