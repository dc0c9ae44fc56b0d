/**
 * Sweep throughput (`npm run bench -- --only sweep`): units per hour of the tiny lifelong protocol
 * (`protocols/lifelong-tiny.yaml`) run by 1 and by 2 `reidfx runner` processes of this machine against one
 * SQLite store. Each case starts its runners on a fresh store (the backend of `REIDFX_BACKEND`, default
 * wasm), waits until each has joined, submits a sweep of 8 units (2 methods x 4 seeds; `--quick`: 4) and
 * times submit -> every unit done. Runner start-up (imports, ~5-10 s) is not counted. One run per case:
 * each is a whole sweep.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Sweep, SweepCluster, UnitStore } from "@reidfx/sweep"
import { Effect, References } from "effect"
import type { BenchRow } from "./run.ts"

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..")

const startRunner = (store: string, port: number) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=@reidfx/source",
        path.join(root, "packages/cli/src/bin.ts"),
        "runner",
        "--store",
        store,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--lock-expiration",
        "30"
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    child.once("error", reject)
    child.stdout?.on("data", (d) => {
      if (String(d).includes("reidfx runner")) resolve(child)
    })
  })

const sweepOnce = async (runners: number, seeds: number): Promise<{ seconds: number; units: number }> => {
  const dir = mkdtempSync(path.join(tmpdir(), "reidfx-bench-sweep-"))
  const store = `sqlite:${path.join(dir, "sweep.db")}`
  const file = path.join(dir, "sweep.yaml")
  writeFileSync(
    file,
    `name: bench\nprotocols: [${JSON.stringify(path.join(root, "protocols", "lifelong-tiny.yaml"))}]\nseeds: [${Array.from({ length: seeds }, (_, i) => i).join(", ")}]\n`
  )
  const children: Array<ChildProcess> = []
  try {
    for (let i = 0; i < runners; i++) children.push(await startRunner(store, 35100 + i))
    await new Promise((r) => setTimeout(r, 3000)) // joining the cluster after the banner line
    return await Effect.runPromise(
      Effect.gen(function* () {
        const sweep = yield* Sweep.readFile(file)
        const t0 = performance.now()
        yield* SweepCluster.submit(sweep, path.join(dir, "work"))
        while (true) {
          const rows = yield* UnitStore.units(sweep.id)
          if (rows.some((r) => r.status === "failed")) throw new Error(rows.map((r) => r.error ?? "").join("\n"))
          if (rows.every((r) => r.status === "done"))
            return { seconds: (performance.now() - t0) / 1000, units: rows.length }
          yield* Effect.sleep("250 millis")
        }
      }).pipe(
        Effect.provide(SweepCluster.clientLayer(store)),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
    )
  } finally {
    for (const c of children) c.kill("SIGTERM")
    rmSync(dir, { recursive: true, force: true })
  }
}

export const run = async ({ quick }: { quick: boolean }): Promise<Array<BenchRow>> => {
  const seeds = quick ? 2 : 4
  const rows: Array<BenchRow> = []
  for (const runners of [1, 2]) {
    const { seconds, units } = await sweepOnce(runners, seeds)
    rows.push({
      suite: "sweep",
      case: `tiny protocol, ${units} units, ${runners} runner(s)`,
      median: (units / seconds) * 3600,
      unit: "units/h",
      runs: 1,
      extra: { seconds: Number(seconds.toFixed(1)), units, runners }
    })
  }
  return rows
}
