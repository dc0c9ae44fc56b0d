/**
 * Helpers shared by the benchmark suites (not a suite: the runner skips files starting with `_`).
 */
import { Backend } from "@reidfx/tensor"
import { type Context, Effect, Exit, Layer, Scope } from "effect"
import type { BenchRow } from "./run.ts"

export type { BenchRow }

/** Median of `xs` (the mean of the two middle values for an even count). */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** CPU time (user + system, all threads) in milliseconds since `start` (a `process.cpuUsage()` reading). */
export const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start)
  return (u.user + u.system) / 1000
}

/** Wall-clock and CPU milliseconds of each of `runs` calls of `step` (after one warm-up call). */
export const timeRuns = (
  runs: number,
  step: () => void
): { readonly times: Array<number>; readonly cpu: Array<number> } => {
  step() // warm-up
  const times: Array<number> = []
  const cpu: Array<number> = []
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    step()
    times.push(performance.now() - t0)
    cpu.push(cpuMsSince(c0))
  }
  return { times, cpu }
}

/** What the runner passes a suite: `quick`, and the `Backend` it acquired (for the suites whose effects require it). */
export interface SuiteOptions {
  readonly quick: boolean
  readonly backend: Context.Context<Backend.Backend>
}

/**
 * Runs a suite standalone (`node bench/<suite>.ts [--quick]`) on the wasm backend, printing one line a row with
 * `line`, then exits.
 */
export const runStandaloneOnWasm = async (
  run: (options: SuiteOptions) => Promise<ReadonlyArray<BenchRow>>,
  line: (row: BenchRow) => string
): Promise<void> => {
  const scope = await Effect.runPromise(Scope.make())
  const backend = await Effect.runPromise(Layer.buildWithScope(Backend.layerWasm, scope))
  const rows = await run({ quick: process.argv.includes("--quick"), backend })
  for (const r of rows) console.log(line(r))
  await Effect.runPromise(Scope.close(scope, Exit.void))
  process.exit(0)
}
