/**
 * Running a protocol on the reidfx stack: the protocol's benchmark (`ReidBenchmark`) and learner
 * (`ReidLearner`) provided to the `Runner`, then the reports written into the run folder. The backend is
 * whatever `Backend` layer the caller provides (the `reidfx` command: `REIDFX_BACKEND`, default wasm).
 *
 * ```ts
 * const protocol = yield* ProtocolFile.parse(text)
 * const result = yield* Lifelong.run(protocol, { out: "runs/demo" })
 * console.log(Table.toText(result))
 * ```
 * @since 0.1.0
 */
import type { Benchmark, Learner, Methods, RunStoreError, StageFailed } from "@reidfx/continual"
import { Progress, Report, Runner } from "@reidfx/continual"
import { Provenance, RunFolder, type RunFolderRefused, Tracker } from "@reidfx/tensor"
import { RunFolderLog } from "@reidfx/train"
import { Effect, Layer } from "effect"
import * as Catalogs from "./Catalogs.ts"
import * as ProtocolFile from "./ProtocolFile.ts"
import type { Protocol } from "./Protocol.ts"
import * as ReidBenchmark from "./reid/ReidBenchmark.ts"
import * as ReidLearner from "./reid/ReidLearner.ts"

/** The services a protocol runs on: its benchmark, its learner and the methods the learner trains. */
export type Services = Benchmark.Benchmark | Learner.Learner | Methods.Methods

/** What {@link run} returns: the run's result, the reports written (with a run folder) and the provenance. */
export interface Outcome {
  readonly result: Runner.RunResult<Protocol>
  readonly written: Report.Written | undefined
  readonly provenance: Provenance.Provenance
}

/** The benchmark and learner of a protocol. @category layers */
export const layer = (
  protocol: Protocol,
  options: ReidLearner.Options = {}
): Layer.Layer<Services, Benchmark.BenchmarkError> =>
  Layer.merge(ReidBenchmark.layer(protocol), ReidLearner.layer(protocol, options))

/**
 * Runs a protocol on the reidfx stack (resuming from `options.out` if it holds an interrupted run), and
 * writes `results.json`, `report.md` and `report.html` there, each with the run's provenance. With a run
 * folder, every training step and evaluation is also logged there (`history/`, `tensorboard/`, and the
 * trackers of `options.logging`: an MLflow file store, user trackers).
 */
export const run = <E = never, R = never>(
  protocol: Protocol,
  options: Runner.RunOptions<E, R> & ReidLearner.Options & { readonly logging?: RunFolderLog.LogOptions } = {}
): Effect.Effect<Outcome, Runner.RunError | StageFailed | RunFolderRefused | RunStoreError | E, Exclude<R, Services>> =>
  Effect.gen(function* () {
    // own the run folder across the run and its reports (a second writer is refused)
    yield* Runner.checkStages(protocol, options)
    const out = options.out
    if (out !== undefined) yield* RunFolder.own(out, "lifelong")
    const config = ProtocolFile.toJson(protocol, yield* Catalogs.Catalogs)
    const provenance = yield* Provenance.current(config)
    if (out === undefined) return { result: yield* Runner.run(protocol, options), written: undefined, provenance }
    const log = yield* Tracker.open(RunFolderLog.trackers(out, options.logging), {
      name: protocol.name,
      config,
      provenance
    })
    const progress = yield* Progress.Progress
    const result = yield* Runner.run(protocol, options).pipe(
      Effect.provideService(Progress.Progress, Progress.logged(progress, log))
    )
    const written = yield* Report.write(out, result, provenance)
    return { result, written, provenance }
  }).pipe(Effect.scoped, Effect.provide(layer(protocol, options)))
