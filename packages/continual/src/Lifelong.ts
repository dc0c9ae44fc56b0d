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
import { RunFolder } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import type { Protocol } from "./Protocol.ts"
import * as ReidBenchmark from "./reid/ReidBenchmark.ts"
import * as ReidLearner from "./reid/ReidLearner.ts"
import * as Report from "./report/Report.ts"
import * as Runner from "./Runner.ts"

/** The benchmark and learner of a protocol. @category layers */
export const layer = (protocol: Protocol, options: ReidLearner.Options = {}) =>
  Layer.merge(ReidBenchmark.layer(protocol), ReidLearner.layer(protocol, options))

/**
 * Runs a protocol on the reidfx stack (resuming from `options.out` if it holds an interrupted run), and
 * writes `results.json`, `report.md` and `report.html` there.
 */
export const run = <E = never, R = never>(protocol: Protocol, options: Runner.RunOptions<E, R> & ReidLearner.Options = {}) =>
  Effect.gen(function*() {
    // own the run folder across the run and its reports (a second writer is refused)
    yield* Runner.checkStages(protocol, options)
    if (options.out !== undefined) yield* RunFolder.own(options.out, "lifelong")
    const result = yield* Runner.run(protocol, options)
    const written = options.out === undefined ? undefined : yield* Report.write(options.out, result)
    return { result, written }
  }).pipe(Effect.scoped, Effect.provide(layer(protocol, options)))
