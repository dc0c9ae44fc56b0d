/**
 * The MDKT entry points a command line calls: run a protocol file (or a decoded protocol) with progress lines,
 * print both tables, and write `results.json`, `report.md` and `report.html`.
 *
 * The run folder is the run engine's (`@reidfx/continual` `StageJournal`): `protocol.json`, and per seed
 * `units/seed-<n>/state.json` (the committed stages and their results) with the teacher's checkpoint; started
 * again on the same folder with the same protocol, a run resumes after its last completed stage (`fresh: true`
 * starts over); with a different protocol it fails (`RunMismatch`) instead of mixing results. The folder is owned while the run writes (`@reidfx/tensor`
 * RunFolder: a marker, a lock refusing a second writer, stale temporary files removed), `fresh` deletes only a
 * run folder, and every file is written atomically and durably.
 *
 * `reidfx run protocols/mdkt-synthetic.yaml` dispatches here through the {@link kind} entry of the protocol-kind
 * registry when the file declares `kind: mdkt`.
 * @since 0.1.0
 */
import * as path from "node:path"
import { ProtocolKind, type RunMismatch, type RunStoreError, StageJournal } from "@reidfx/continual"
import type { WeightsIOError, WeightsMismatch } from "@reidfx/model"
import {
  BoundedRead,
  type InputRefused,
  Interrupted,
  type InvalidOption,
  type PathEscapesRoot,
  RunFolder,
  type RunFolderRefused,
  type WriteFailed
} from "@reidfx/tensor"
import type { NonFiniteLoss, StepFailed } from "@reidfx/train"
import { Console, Effect } from "effect"
import * as AblationTable from "./AblationTable.ts"
import { MdktProtocolDecodeError, type MdktProtocolInvalid } from "./errors.ts"
import { MdktProtocol } from "./MdktProtocol.ts"
import * as MdktProtocolFile from "./MdktProtocolFile.ts"
import * as MdktReport from "./MdktReport.ts"
import * as MdktRunner from "./MdktRunner.ts"

/** Options of {@link runProtocol} / {@link runFile}. @category models @since 0.1.0 */
export interface RunOptions {
  /** Output folder (default `runs/<protocol name>`). */
  readonly out?: string
  /** Seeds instead of the protocol's. */
  readonly seeds?: ReadonlyArray<number>
  /** Progress lines, besides the `Progress` service's events. */
  readonly log?: MdktRunner.RunLog
  /** Delete the run folder first instead of resuming. Default false. */
  readonly fresh?: boolean
}

/** Everything an MDKT run can fail with. @category errors @since 0.1.0 */
export type RunError =
  | NonFiniteLoss
  | StepFailed
  | InvalidOption
  | MdktProtocolInvalid
  | MdktProtocolDecodeError
  | WriteFailed
  | RunFolderRefused
  | InputRefused
  | WeightsIOError
  | WeightsMismatch
  | PathEscapesRoot
  | RunStoreError
  | RunMismatch

/** What must match for a run folder to be resumed: the protocol file without its seeds (a rerun may add seeds). */
const comparable = (json: unknown): unknown => ({ ...(json as object), seeds: [] })

/**
 * Runs a decoded protocol, prints the tables and writes the reports (resuming seed by seed, see the module doc).
 * @category running
 * @since 0.1.0
 */
export const runProtocol = (
  protocol: MdktProtocol,
  options: RunOptions = {}
): Effect.Effect<{ readonly run: MdktRunner.MdktRun; readonly written: MdktReport.Written }, RunError> =>
  Effect.gen(function* () {
    const p = options.seeds === undefined ? protocol : { ...protocol, seeds: [...options.seeds] }
    const out = options.out ?? path.join("runs", p.name)
    if (options.fresh === true) yield* RunFolder.removeForFresh(out, ["protocol.json"])
    yield* RunFolder.own(out, "mdkt")
    Interrupted.setHint("rerun the same command to resume")
    yield* StageJournal.claimProtocol(out, MdktProtocolFile.encode(p), comparable)
    const run = yield* MdktRunner.run(p, { ...(options.log === undefined ? {} : { log: options.log }), out })
    yield* Console.log("")
    yield* Console.log(AblationTable.toText(run))
    const written = yield* MdktReport.write(out, run)
    yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
    return { run, written }
  }).pipe(Effect.scoped)

/**
 * Reads a protocol file (YAML or JSON), then {@link runProtocol}.
 * @category running
 * @since 0.1.0
 */
export const runFile = (
  file: string,
  options: RunOptions = {}
): Effect.Effect<{ readonly run: MdktRunner.MdktRun; readonly written: MdktReport.Written }, RunError> =>
  BoundedRead.readText(file).pipe(
    Effect.mapError(
      (e) =>
        new MdktProtocolDecodeError({ source: file, issues: [{ path: "(file)", message: `cannot read: ${e.reason}` }] })
    ),
    Effect.flatMap((text) => MdktProtocolFile.parse(text, file)),
    Effect.flatMap((p) => runProtocol(p, options))
  )

/**
 * The `mdkt` protocol kind of `@reidfx/continual`'s `ProtocolKind` registry (what `reidfx run` dispatches a file
 * declaring `kind: mdkt` to). `methods` and `epochs` belong to lifelong protocols and are refused.
 * @category running
 * @since 0.1.0
 */
export const kind = ProtocolKind.make({
  name: "mdkt",
  description: "image-to-video ReID by mutual discriminative knowledge transfer (@reidfx/video)",
  schema: MdktProtocol,
  decode: MdktProtocolFile.decode,
  run: (protocol, request) =>
    Effect.gen(function* () {
      if (request.methods !== undefined || request.epochs !== undefined) {
        return yield* new MdktProtocolDecodeError({
          source: protocol.name,
          issues: [
            {
              path: "(flags)",
              message:
                "--methods and --epochs apply to lifelong protocols; an MDKT protocol sets its rows and steps in the file (or with --set)"
            }
          ]
        })
      }
      yield* runProtocol(protocol, {
        fresh: request.fresh,
        ...(request.out === undefined ? {} : { out: request.out }),
        ...(request.seeds === undefined ? {} : { seeds: request.seeds })
      })
    })
})
