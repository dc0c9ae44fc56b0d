/**
 * The benchmark runner (`npm run bench`): runs every `bench/*.ts` module that exports
 * `run(options: { quick: boolean }) => Promise<Array<BenchRow>>` (all but this file and files starting with `_`),
 * on the backend chosen by `REIDFX_BACKEND` (default wasm) and `REIDFX_WASM_THREADS`, prints one table and writes
 * `bench/results/<date>.json` and `bench/results/latest.json` with the machine it ran on.
 *
 *     npm run bench                       # everything
 *     npm run bench -- --quick            # few runs per case (a smoke run)
 *     npm run bench -- --only runtime     # one suite (the module's file name; repeatable or comma-separated)
 */
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, Layer, Scope } from "effect"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg, totalmem } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { SuiteOptions } from "./_lib.ts"

/** One measured case. `median` is over `runs` repetitions. */
export interface BenchRow {
  readonly suite: string
  readonly case: string
  readonly median: number
  readonly unit: string
  readonly runs: number
  readonly extra?: Record<string, number | string>
}

interface Args {
  readonly quick: boolean
  readonly only: ReadonlyArray<string>
}

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  let quick = false
  const only: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--quick") quick = true
    else if (a === "--only") only.push(...(argv[++i] ?? "").split(",").filter((s) => s.length > 0))
    else if (a.startsWith("--only="))
      only.push(
        ...a
          .slice("--only=".length)
          .split(",")
          .filter((s) => s.length > 0)
      )
    else throw new Error(`bench: unknown argument "${a}" (use --quick and --only <suite>)`)
  }
  return { quick, only }
}

const here = dirname(fileURLToPath(import.meta.url))

/** The suites available: `bench/<suite>.ts` files other than run.ts and `_*.ts`. */
export const suites = (): Array<string> =>
  readdirSync(here)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_") && !f.endsWith(".d.ts"))
    .map((f) => basename(f, ".ts"))
    .sort()

const format = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3))

const printTable = (rows: ReadonlyArray<BenchRow>) => {
  const header = ["suite", "case", "median", "unit", "runs"]
  const body = rows.map((r) => [r.suite, r.case, format(r.median), r.unit, String(r.runs)])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i === 2 || i === 4 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`)
  for (const b of body) console.log(line(b))
}

interface Report {
  readonly date: string
  readonly quick: boolean
  readonly suites: ReadonlyArray<string>
  readonly machine: Record<string, string | number>
  readonly rows: ReadonlyArray<BenchRow>
  readonly failures: ReadonlyArray<{ suite: string; error: string }>
  /** Suites whose rows come from an earlier run (a run with --only keeps the other suites' latest rows). */
  readonly carriedOver?: ReadonlyArray<{
    suite: string
    date: string
    quick: boolean
    machine: Record<string, string | number>
  }>
}

/** latest.json after this run: this run's suites replaced, the other suites' rows carried over with their date. */
export const mergeLatest = (path: string, report: Report): Report => {
  if (!existsSync(path)) return report
  let previous: Report
  try {
    previous = JSON.parse(readFileSync(path, "utf8")) as Report
  } catch {
    return report
  }
  const kept = (previous.rows ?? []).filter((r) => !report.suites.includes(r.suite))
  const carried = new Map<
    string,
    { suite: string; date: string; quick: boolean; machine: Record<string, string | number> }
  >()
  for (const c of previous.carriedOver ?? []) if (!report.suites.includes(c.suite)) carried.set(c.suite, c)
  for (const r of kept) {
    if (!carried.has(r.suite))
      carried.set(r.suite, { suite: r.suite, date: previous.date, quick: previous.quick, machine: previous.machine })
  }
  return { ...report, rows: [...report.rows, ...kept], carriedOver: [...carried.values()] }
}

const main = async () => {
  const args = parseArgs(process.argv.slice(2))
  const available = suites()
  const unknown = args.only.filter((s) => !available.includes(s))
  if (unknown.length > 0)
    throw new Error(`bench: unknown suite(s) ${unknown.join(", ")}; available: ${available.join(", ")}`)
  const selected = args.only.length > 0 ? available.filter((s) => args.only.includes(s)) : available

  // The backend stays acquired for the whole run (its scope closes at the end).
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(Backend.layerFromConfig, scope))
  const backend = Effect.runSync(Effect.provide(Backend.Backend, Layer.succeedContext(context)))
  console.log(
    `backend=${backend.name} threads=${backend.threads} suites=${selected.join(",")}${args.quick ? " (quick)" : ""}`
  )

  const loadBefore = loadavg()[0]!
  const rows: Array<BenchRow> = []
  const failures: Array<{ suite: string; error: string }> = []
  for (const suite of selected) {
    const module = (await import(pathToFileURL(join(here, `${suite}.ts`)).href)) as {
      run?: (options: SuiteOptions) => Promise<ReadonlyArray<BenchRow>> | ReadonlyArray<BenchRow>
    }
    if (typeof module.run !== "function") {
      console.log(`(skipping ${suite}: no run export)`)
      continue
    }
    const started = performance.now()
    try {
      const before = tf.memory().numTensors
      const out = await module.run({ quick: args.quick, backend: context })
      rows.push(...out)
      const leaked = tf.memory().numTensors - before
      console.log(
        `${suite}: ${out.length} rows in ${((performance.now() - started) / 1000).toFixed(1)} s${leaked > 0 ? ` (left ${leaked} tensors)` : ""}`
      )
    } catch (error) {
      failures.push({ suite, error: String(error) })
      console.error(`${suite} failed: ${String(error)}`)
    }
  }
  console.log("")
  printTable(rows)

  const cpu = cpus()
  const machine = {
    cpu: cpu[0]?.model ?? "unknown",
    cores: availableParallelism(),
    memoryGB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend: backend.name,
    threads: backend.threads,
    tfjs: tf.version_core,
    // 1-minute load average before and after: other processes on the machine slow the wall-clock figures
    loadAverageBefore: Number(loadBefore.toFixed(2)),
    loadAverageAfter: Number(loadavg()[0]!.toFixed(2))
  }
  const date = new Date().toISOString()
  const report: Report = { date, quick: args.quick, suites: selected, machine, rows, failures }
  const dir = join(here, "results")
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${date.replace(/[:.]/g, "-")}.json`)
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(mergeLatest(join(dir, "latest.json"), report), null, 2)}\n`)
  console.log(`\nwrote ${file} and bench/results/latest.json`)
  await Effect.runPromise(Scope.close(scope, Exit.void))
  if (failures.length > 0) process.exitCode = 1
}

if (import.meta.main) await main()
