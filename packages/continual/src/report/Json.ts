/**
 * The results as JSON: the protocol, the layout, the methods, every cell of the ledger and each method's
 * summary (final table, curves, forgetting, BWT), with the definitions used.
 * @since 0.1.0
 */
import type { Provenance } from "@reidfx/tensor"
import type { RunResult } from "../Runner.ts"
import { summaries } from "./Table.ts"

/** The definitions behind the derived numbers. */
export const definitions = {
  values: "fractions in [0, 1]; mean and sample standard deviation (n - 1) over seeds",
  seenAverage: "mean over the seen test sets of tasks 0..i after learning task i",
  forgetting: "max_{l in [j, T-2]} R[l][j] - R[T-1][j] (Chaudhry et al. 2018), for j < T-1",
  backwardTransfer: "R[T-1][j] - R[j][j] (Lopez-Paz and Ranzato 2017), for j < T-1",
  after: "-1 is the untrained model; i >= 0 the model after learning task i (joint methods: only the last)"
} as const

/** The report as a JSON value (undefined stats are omitted by `JSON.stringify`), with the run's provenance when known. */
export const toJson = (result: RunResult, provenance?: Provenance.Provenance) => ({
  ...(provenance === undefined ? {} : { provenance }),
  protocol: result.protocolJson,
  layout: result.layout,
  methods: result.methods,
  seeds: result.seeds,
  seconds: result.seconds,
  computeSeconds: result.computeSeconds,
  definitions,
  summaries: summaries(result),
  cells: result.cells,
  training: result.units.map((u) => ({ method: u.method, seed: u.seed, trained: u.trained, custom: u.custom }))
})

/**
 * The text of a `results.json`: the provenance first (when given), then the report's JSON object, indented by 1
 * (what the engine's writer, `Report.writeWith`, writes for every protocol kind).
 */
export const jsonText = (value: object, provenance?: Provenance.Provenance): string =>
  JSON.stringify({ ...(provenance === undefined ? {} : { provenance }), ...value }, null, 1)

/** The report as JSON text (what `Report.write` writes: {@link jsonText} of {@link toJson}). */
export const toJsonText = (result: RunResult, provenance?: Provenance.Provenance): string =>
  jsonText(toJson(result), provenance)
