/**
 * Benchmarks of `@reidfx/continual`: the ledger and reports on a large hand-made run (pure TypeScript), and the
 * training throughput of the demo's model (64x32 images, reference net 16-32-64-128) under each family of
 * methods: BoT (PK batches, CE + triplet), DMML (episodes), DwoPP (episodes + the old model's forward), with
 * the wall time of a task (data loading, rendering on the first epoch, augmentation included).
 * `REIDFX_BENCH_NO_TRAINING=1` skips the training cases.
 */
import { Html, Ledger, Runner } from "@reidfx/continual"
import { Demo, Lifelong, ProtocolFile, ReidMethods, Strategy } from "@reidfx/reid"
import { Effect } from "effect"
import type { SuiteOptions } from "./_lib.ts"
import type { BenchRow } from "./run.ts"

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const time = async (f: () => unknown, runs: number) => {
  await f()
  const out: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await f()
    out.push(performance.now() - t0)
  }
  return median(out)
}

/** A hand-made run: 7 methods x 3 seeds x 10 tasks, 11 test sets. */
const bigResult = (): Runner.RunResult => {
  const tasks = 10
  const testSets: Array<{ name: string; kind: "seen" | "unseen"; task?: number; queries: number; gallery: number }> = [
    ...Array.from({ length: tasks }, (_, t) => ({
      name: `task-${t + 1}`,
      kind: "seen" as const,
      task: t,
      queries: 100,
      gallery: 500
    })),
    { name: "unseen", kind: "unseen" as const, queries: 100, gallery: 500 }
  ]
  const methods = ["joint", "bot-ft", "lwf", "aka", "dmml-ft", "dwpp", "dwopp"]
  const cells: Array<Ledger.Cell> = []
  for (const method of methods) {
    for (const seed of [0, 1, 2]) {
      for (let after = -1; after < tasks; after++) {
        for (const t of testSets) {
          if (t.kind === "seen" && after >= 0 && (t.task ?? 0) > after) continue
          const v = 0.2 + 0.5 * Math.abs(Math.sin(after * 7 + (t.task ?? 11) * 3 + seed))
          cells.push({
            method,
            seed,
            after,
            testSet: t.name,
            metrics: { mAP: v, mINP: v / 3, cmc: Array.from({ length: 10 }, (_, k) => Math.min(1, v + 0.03 * k)) }
          })
        }
      }
    }
  }
  const protocol = Effect.runSync(ProtocolFile.make({ ...Demo.protocol, methods: methods as never }))
  return {
    protocol,
    protocolJson: ProtocolFile.toJson(protocol),
    layout: { tasks, testSets },
    methods: protocol.methods.map((m) => ReidMethods.info(Strategy.resolve(m))),
    seeds: [0, 1, 2],
    cells,
    units: [],
    seconds: 0,
    computeSeconds: 0
  }
}

export const run = async (options: SuiteOptions): Promise<Array<BenchRow>> => {
  const rows: Array<BenchRow> = []
  const runs = options.quick ? 3 : 10
  const result = bigResult()
  rows.push({
    suite: "continual",
    case: "ledger: summarize 7 methods x 3 seeds x 10 tasks",
    median: await time(() => result.methods.map((m) => Ledger.summarize(result.cells, result.layout, m.name)), runs),
    unit: "ms",
    runs,
    extra: { cells: result.cells.length }
  })
  rows.push({
    suite: "continual",
    case: "HTML report of that run (charts rendered by Vega-Lite)",
    median: await time(() => Effect.runPromise(Html.toHtml(result)), runs),
    unit: "ms",
    runs
  })

  // training throughput of the demo model, one task, per family of methods
  if (process.env.REIDFX_BENCH_NO_TRAINING === "1") return rows
  const steps = options.quick ? 4 : 12
  for (const method of ["bot-ft", "dmml-ft", "dwopp"] as const) {
    const protocol = await Effect.runPromise(
      ProtocolFile.make({
        ...Demo.protocol,
        name: `bench-${method}`,
        data: {
          split: {
            kind: "intraDomain",
            world: { kind: "synthetic", identities: 120, cameras: 4, imagesPerCamera: 4, seed: 7 },
            tasks: 2,
            unseenIdentities: 10
          }
        },
        training: { ...Demo.protocol.training, epochs: 2, batchesPerEpoch: steps / 2 },
        stages: [{ kind: "train" }, { kind: "snapshot" }],
        evaluation: { initial: false },
        methods: [method],
        seeds: [0]
      })
    )
    const t0 = performance.now()
    const r = await Effect.runPromise(
      Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol)), Effect.provideContext(options.backend))
    )
    const wall = (performance.now() - t0) / 1000
    // the second task: DwoPP distils from the old model there
    const s = r.units[0]!.trained["task-1/0-train"]!
    rows.push({
      suite: "continual",
      case: `demo model 64x32, ${method}: train images/s (second task)`,
      median: s.images / s.seconds,
      unit: "img/s",
      runs: s.steps,
      extra: { wallSecondsBothTasks: Number(wall.toFixed(1)), stepsPerTask: steps }
    })
  }
  return rows
}
