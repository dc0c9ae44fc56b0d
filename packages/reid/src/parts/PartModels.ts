/**
 * The `parts` protocol kind (what `reidfx run` dispatches a file declaring `kind: parts` to): AlignedReID's mutual
 * pair and PCB trained on the synthetic world, reported by each distance (see `PartModelsProtocol.ts` and
 * `PartModelsRun.ts`). The run folder (default `runs/<name>`) holds `protocol.json`, one journal per seed (an
 * interrupted run resumes after its last trained model), `results.json` and `report.md`.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Interrupted, RunFolder, type RunFolderRefused } from "@reidfx/tensor"
import { Console, Effect } from "effect"
import { ProtocolKind, type RunMismatch, RunStore, type RunStoreError, StageJournal } from "@reidfx/continual"
import * as PartModelsProtocol from "./PartModelsProtocol.ts"
import * as PartModelsRun from "./PartModelsRun.ts"

/** Options of {@link runProtocol}. */
export interface RunOptions {
  /** The run folder (default `runs/<protocol name>`). */
  readonly out?: string
  /** Seeds instead of the protocol's. */
  readonly seeds?: ReadonlyArray<number>
  /** Delete the run folder first instead of resuming. */
  readonly fresh?: boolean
}

/** Everything a `parts` run can fail with. @category errors */
export type RunError =
  | PartModelsRun.PartsRunError
  | PartModelsProtocol.PartsProtocolDecodeError
  | RunFolderRefused
  | RunStoreError
  | RunMismatch

/** What must match for a run folder to be resumed: the protocol without its seeds (a rerun may add seeds). */
const comparable = (json: unknown): unknown => ({ ...(json as object), seeds: [] })

/**
 * Runs a decoded protocol in its run folder, prints the table and writes `results.json` and `report.md`.
 * @category running
 */
export const runProtocol = (
  protocol: PartModelsProtocol.PartsProtocol,
  options: RunOptions = {}
): Effect.Effect<{ readonly run: PartModelsRun.PartsRun; readonly report: string }, RunError> =>
  Effect.gen(function* () {
    const p = options.seeds === undefined ? protocol : { ...protocol, seeds: [...options.seeds] }
    const out = options.out ?? path.join("runs", p.name)
    if (options.fresh === true) yield* RunFolder.removeForFresh(out, ["protocol.json"])
    yield* RunFolder.own(out, "parts")
    Interrupted.setHint("rerun the same command to resume")
    yield* StageJournal.claimProtocol(out, PartModelsProtocol.encode(p), comparable)
    const run = yield* PartModelsRun.run(p, { out })
    const markdown = PartModelsRun.toMarkdown(run)
    yield* Console.log("")
    yield* Console.log(markdown)
    const report = path.join(out, "report.md")
    yield* RunStore.writeFileAtomic(path.join(out, "results.json"), `${JSON.stringify(run, null, 1)}\n`)
    yield* RunStore.writeFileAtomic(report, markdown)
    yield* Console.log(`reports: ${report}, ${path.join(out, "results.json")}`)
    return { run, report }
  }).pipe(Effect.scoped)

/**
 * The `parts` protocol kind. `methods` and `epochs` belong to lifelong protocols and are refused (a `parts`
 * protocol sets its epochs in the file, or with `--set training.epochs=...`).
 * @category running
 */
export const kind = ProtocolKind.make({
  name: "parts",
  description: "AlignedReID (global + local, mutual) and PCB on the synthetic world (@reidfx/reid)",
  schema: PartModelsProtocol.PartsProtocol,
  decode: PartModelsProtocol.decode,
  run: (protocol, request) =>
    Effect.gen(function* () {
      if (request.methods !== undefined || request.epochs !== undefined)
        return yield* new PartModelsProtocol.PartsProtocolDecodeError({
          source: protocol.name,
          issues: [
            {
              path: "(flags)",
              message:
                "--methods and --epochs apply to lifelong protocols; a parts protocol sets training.epochs in the file (or with --set)"
            }
          ]
        })
      yield* runProtocol(protocol, {
        fresh: request.fresh,
        ...(request.out === undefined ? {} : { out: request.out }),
        ...(request.seeds === undefined ? {} : { seeds: request.seeds })
      })
    })
})
