/**
 * The MDKT entry points a command line calls: run a protocol file (or a decoded protocol) with progress lines,
 * print both tables, and write `results.json`, `report.md` and `report.html` (through the engine's report writer,
 * `@reidfx/continual`'s `Report.writeWith`, with the run's provenance at the top of each).
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
import { existsSync } from "node:fs"
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
import { type NonFiniteLoss, Provenance, RunFolderLog, type StepFailed, Tracker } from "@reidfx/train"
import type { VideoDataInvalid, VideoScores } from "@reidfx/video"
import { Console, Effect } from "effect"
import * as AblationTable from "./AblationTable.ts"
import { MdktProtocolDecodeError, type MdktProtocolInvalid } from "./errors.ts"
import { MdktProtocol, resolveRows, seedTable1, seedTable2 } from "./MdktProtocol.ts"
import * as MdktProtocolFile from "./MdktProtocolFile.ts"
import * as MdktReport from "./MdktReport.ts"
import * as MdktRunner from "./MdktRunner.ts"
import type { StageSummary } from "./MdktTraining.ts"

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
  /**
   * Log the evaluations and each stage's last-epoch losses of the seeds run by this invocation to the run
   * folder's trackers (`history/`, `tensorboard/`) and those given (an MLflow file store: `reidfx run --mlflow`).
   * Default: no logging.
   */
  readonly logging?: RunFolderLog.LogOptions
}

/** Everything an MDKT run can fail with. @category errors @since 0.1.0 */
export type RunError =
  | NonFiniteLoss
  | StepFailed
  | InvalidOption
  | MdktProtocolInvalid
  | VideoDataInvalid
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
    const encoded = MdktProtocolFile.encode(p)
    yield* StageJournal.claimProtocol(out, encoded, comparable)
    const provenance = yield* Provenance.current(encoded)
    const log =
      options.logging === undefined
        ? undefined
        : yield* Tracker.open(RunFolderLog.trackers(out, options.logging), {
            name: p.name,
            config: encoded,
            provenance
          })
    const run = yield* MdktRunner.run(p, {
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(log === undefined ? {} : { onSeed: (seed: MdktRunner.SeedResult) => recordSeed(log, seed) }),
      out
    })
    yield* Console.log("")
    yield* Console.log(AblationTable.toText(run))
    const written = yield* MdktReport.write(out, run, provenance)
    yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
    return { run, written }
  }).pipe(Effect.scoped)

/**
 * The tracker records of one seed: for the teacher of stage 1 and each stage-2 configuration, an evaluation
 * record per direction (`testSet` `i2v`, `v2v`: mAP, mINP, rank1 / rank5 / rank10 as fractions, as the lifelong
 * runs log them) and a step record of the stage's last-epoch mean losses (at the stage's step count). Stage 1 is
 * evaluation step 0, stage 2 step 1.
 * @category running
 * @since 0.1.0
 */
export const seedRecords = (seed: MdktRunner.SeedResult, time: number): ReadonlyArray<Tracker.LogRecord> => {
  const evaluations = (method: string, task: string, step: number, scores: VideoScores) =>
    (["i2v", "v2v"] as const).map(
      (direction): Tracker.LogRecord => ({
        kind: "evaluation",
        step,
        time,
        where: { method, seed: seed.seed, task, testSet: direction },
        values: {
          mAP: scores[direction].mAP / 100,
          mINP: scores[direction].mINP / 100,
          rank1: scores[direction].cmc1 / 100,
          rank5: scores[direction].cmc5 / 100,
          rank10: scores[direction].cmc10 / 100
        }
      })
    )
  const losses = (method: string, task: string, training: StageSummary): Tracker.LogRecord => ({
    kind: "step",
    step: training.steps,
    time,
    where: { method, seed: seed.seed, task },
    values: Object.fromEntries(
      Object.entries(training.lastEpoch).flatMap(([learner, terms]) =>
        Object.entries(terms).map(([term, value]) => [`${learner}/${term}`, value])
      )
    )
  })
  return [
    losses("teacher", "stage1", seed.stage1.training),
    ...evaluations("teacher", "stage1", 0, seed.stage1.teacher),
    ...seed.configurations.flatMap((c) => [
      losses(c.key, "stage2", c.training),
      ...evaluations(c.key, "stage2", 1, c.student)
    ])
  ]
}

const recordSeed = (log: Tracker.RunLog, seed: MdktRunner.SeedResult) =>
  Effect.forEach(seedRecords(seed, Date.now() / 1000), (r) => log.record(r), { discard: true })

/**
 * What `reidfx run <mdkt protocol> --dry-run` says (nothing is trained or written): the seeds, the stage-2
 * configurations of both tables, the world (a dataset folder on disk is checked: a missing one is an error
 * naming `data.world.root`), and whether the run folder would start fresh or resume.
 * @category running
 * @since 0.1.0
 */
export const dryRun = (
  protocol: MdktProtocol,
  options: { readonly out?: string; readonly fresh?: boolean } = {}
): Effect.Effect<string, MdktProtocolDecodeError> =>
  Effect.gen(function* () {
    const out = options.out ?? path.join("runs", protocol.name)
    const world = protocol.data.world
    if (world.kind === "layout" && !existsSync(world.root)) {
      return yield* new MdktProtocolDecodeError({
        source: protocol.name,
        issues: [{ path: "data.world.root", message: `folder not found: ${world.root}` }]
      })
    }
    const rows = [
      ...resolveRows(protocol.tables.table1, protocol.student, seedTable1),
      ...resolveRows(protocol.tables.table2, protocol.student, seedTable2)
    ]
    const keys = [...new Set(rows.map((r) => r.key))]
    const saved = existsSync(path.join(out, "protocol.json"))
    return [
      `dry run of ${protocol.name}: nothing is trained or written`,
      `  ${protocol.seeds.length} seed(s): ${protocol.seeds.join(", ")}; per seed the teacher (stage 1), then ${keys.length} stage-2 configuration(s): ${keys.join(", ")}`,
      `  teacher ${protocol.teacher.frames}-frame clips, ${protocol.teacher.epochs} epoch(s); student ${protocol.student.frames}-frame clips (teacher ${protocol.student.teacherFrames}), ${protocol.student.epochs} epoch(s); input ${protocol.data.height}x${protocol.data.width}`,
      `  world: ${world.kind === "layout" ? `${world.layout} at ${world.root} (present)` : `synthetic ${world.objects}`}`,
      `  run folder ${out}: ${options.fresh === true ? "--fresh would delete it first" : saved ? "holds this run: it would resume after its last completed stage" : "new"}`
    ].join("\n")
  })

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
 * declaring `kind: mdkt` to). `methods` and `epochs` belong to lifelong protocols and are refused;
 * `printConfig` prints the protocol as it would run (YAML, every default filled in), `dryRun` prints
 * {@link dryRun}, `mlflow` logs to that MLflow file store (and the run folder's history and TensorBoard files).
 * @category running
 * @since 0.1.0
 */
export const kind = ProtocolKind.make({
  name: "mdkt",
  description: "image-to-video ReID by mutual discriminative knowledge transfer (@reidfx/reid)",
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
      const p = request.seeds === undefined ? protocol : { ...protocol, seeds: [...request.seeds] }
      if (request.printConfig === true) return yield* Console.log(MdktProtocolFile.toYaml(p).trimEnd())
      if (request.dryRun === true)
        return yield* Console.log(
          yield* dryRun(p, { fresh: request.fresh, ...(request.out === undefined ? {} : { out: request.out }) })
        )
      yield* runProtocol(p, {
        fresh: request.fresh,
        ...(request.out === undefined ? {} : { out: request.out }),
        ...(request.mlflow === undefined ? {} : { logging: { mlflow: request.mlflow } })
      })
    })
})
