/**
 * Training throughput of `reidfx train`: the default run config (reference net, 64x32 synthetic persons, PK 16x4,
 * CE + batch-hard triplet, Adam) and the reference net at 128x64 on the synthetic world. One run is one training
 * step (forward, Objective, backward, update) on a batch from the real data pipeline (rendering, augmentation and
 * loading included in the epoch time, not in the step time).
 *
 * Rows per configuration: `step` (median ms per step; images/s from it) and `epoch` (wall time of one epoch of the
 * sampler, measured over `runs` steps including data loading and extrapolated to the full epoch in quick mode).
 *
 *     node --conditions=@reidfx/source bench/train.ts           # full
 *     node --conditions=@reidfx/source bench/train.ts --quick   # fewer steps
 */
import { fileURLToPath } from "node:url"
import { Rng } from "@reidfx/tensor"
import { Trainer } from "@reidfx/train"
import { RunConfig, StrongBaseline } from "@reidfx/reid"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Stream } from "effect"
import { type BenchRow, cpuMsSince, median, runStandaloneOnWasm } from "./_lib.ts"

const measure = (label: string, set: ReadonlyArray<string>, quick: boolean) =>
  Effect.scoped(
    Effect.gen(function* () {
      const config = yield* RunConfig.load({ set })
      const s = yield* StrongBaseline.setup(config)
      const steps = quick ? Math.min(4, s.stepsPerEpoch) : s.stepsPerEpoch
      const times: Array<number> = []
      const cpu: Array<number> = []
      let images = 0
      const rng = (yield* Rng.Rng).stream("sampling").derive("epoch-0")
      const t0 = performance.now()
      let index = 0
      // one warm-up step outside the timing
      yield* Stream.runForEach(s.source.epoch(0, rng).pipe(Stream.take(steps + 1)), (input) =>
        Effect.gen(function* () {
          const c0 = process.cpuUsage()
          const report = yield* Trainer.step([s.learner], input, index)
          const cpuMs = cpuMsSince(c0)
          if (index > 0) {
            times.push(report.seconds * 1000)
            cpu.push(cpuMs)
            images += report.images
          }
          index++
        })
      )
      const wall = (performance.now() - t0) / 1000
      const ms = median(times)
      const batch = config.sampler.p * config.sampler.k
      const epochSeconds = (wall * s.stepsPerEpoch) / (steps + 1)
      const extra = {
        backend: tf.getBackend(),
        input: `${config.data.height}x${config.data.width}`,
        batch,
        parameters: s.model.parameterCount,
        stepsPerEpoch: s.stepsPerEpoch,
        trainImages: s.train.length,
        cpuMsPerStep: Number(median(cpu).toFixed(1)),
        numTensors: tf.memory().numTensors
      }
      return [
        {
          suite: "train",
          case: `${label} step`,
          median: Number(ms.toFixed(1)),
          unit: "ms",
          runs: times.length,
          extra: { ...extra, imagesPerSecond: Number(((1000 * batch) / ms).toFixed(1)) }
        },
        {
          suite: "train",
          case: `${label} epoch`,
          median: Number(epochSeconds.toFixed(1)),
          unit: "s",
          runs: 1,
          extra: {
            ...extra,
            imagesPerSecond: Number(((images * s.stepsPerEpoch) / steps / epochSeconds).toFixed(1)),
            measuredSteps: steps + 1,
            extrapolated: steps < s.stepsPerEpoch ? "yes" : "no"
          }
        }
      ] satisfies Array<BenchRow>
    })
  ).pipe(Rng.withSeed(0))

/** Runs on the current tfjs backend (the runner's `REIDFX_BACKEND`, wasm by default; standalone: wasm). */
export const run = async (options: { readonly quick: boolean }): Promise<Array<BenchRow>> => {
  await tf.ready()
  const rows: Array<BenchRow> = []
  rows.push(...(await Effect.runPromise(measure("default run (reference 64x32, PK 16x4)", [], options.quick))))
  rows.push(
    ...(await Effect.runPromise(
      measure("reference net 128x64 (PK 16x4)", ["data.height=128", "data.width=64"], options.quick)
    ))
  )
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandaloneOnWasm(
    run,
    (r) => `${r.case.padEnd(48)} ${r.median.toFixed(1).padStart(9)} ${r.unit}  ${JSON.stringify(r.extra)}`
  )
}
