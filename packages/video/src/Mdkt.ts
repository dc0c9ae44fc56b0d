/**
 * The MDKT entry points a command line calls: run a protocol file (or a decoded protocol) with progress lines,
 * print both tables, and write `results.json`, `report.md` and `report.html`.
 *
 * The run folder also keeps `protocol.json` and one `seed-<n>.json` per finished seed: started again on the same
 * folder with the same protocol, a run resumes after its last finished seed (`fresh: true` starts over); with a
 * different protocol it fails instead of mixing results. The folder is owned while the run writes (`@reidfx/tensor`
 * RunFolder: a marker, a lock refusing a second writer, stale temporary files removed), `fresh` deletes only a
 * run folder, and every file is written atomically and durably.
 *
 * `reidfx run protocols/mdkt-synthetic.yaml` dispatches here when the file says `kind: mdkt` (see
 * {@link MdktProtocolFile.isMdktProtocolValue}): `Mdkt.runFile(path, { out, seeds })`.
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { WeightsIOError, WeightsMismatch } from "@reidfx/model"
import { AtomicFile, BoundedRead, type InputRefused, Interrupted, type InvalidOption, RunFolder, type RunFolderRefused, type WriteFailed } from "@reidfx/tensor"
import type { NonFiniteLoss, StepFailed } from "@reidfx/train"
import { Console, Effect } from "effect"
import * as AblationTable from "./AblationTable.ts"
import { MdktProtocolDecodeError, MdktProtocolInvalid } from "./errors.ts"
import type { MdktProtocol } from "./MdktProtocol.ts"
import * as MdktProtocolFile from "./MdktProtocolFile.ts"
import * as MdktReport from "./MdktReport.ts"
import * as MdktRunner from "./MdktRunner.ts"

/** Options of {@link runProtocol} / {@link runFile}. @category models @since 0.1.0 */
export interface RunOptions {
  /** Output folder (default `runs/<protocol name>`). */
  readonly out?: string
  /** Seeds instead of the protocol's. */
  readonly seeds?: ReadonlyArray<number>
  /** Progress lines (default: printed with a timestamp). */
  readonly log?: MdktRunner.RunLog
  /** Ignore (and overwrite) seeds saved in the run folder. Default false. */
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

/** The seeds saved in a run folder for the same protocol (seeds aside); fails if the folder holds another protocol. */
const savedSeeds = (
  out: string,
  protocol: MdktProtocol,
  fresh: boolean
): Effect.Effect<ReadonlyMap<number, MdktRunner.SeedResult>, MdktProtocolInvalid | WriteFailed | InputRefused> =>
  Effect.gen(function*() {
    const file = path.join(out, "protocol.json")
    const mine = JSON.stringify({ ...MdktProtocolFile.encode(protocol), seeds: [] })
    const seeds = new Map<number, MdktRunner.SeedResult>()
    const existing = fs.existsSync(file) ? yield* BoundedRead.readText(file) : undefined
    if (!fresh && existing !== undefined) {
      const theirs = JSON.stringify({ ...(JSON.parse(existing) as object), seeds: [] })
      if (theirs !== mine) {
        return yield* new MdktProtocolInvalid({ what: `run folder ${out}`, detail: "it holds results of another protocol; use another --out, or fresh: true to start over" })
      }
      for (const f of fs.readdirSync(out)) {
        const m = /^seed-(\d+)\.json$/.exec(f)
        if (m !== null && protocol.seeds.includes(Number(m[1]))) seeds.set(Number(m[1]), JSON.parse(yield* BoundedRead.readText(path.join(out, f))) as MdktRunner.SeedResult)
      }
    } else {
      for (const f of fs.readdirSync(out)) if (/^seed-\d+\.json$/.test(f)) fs.rmSync(path.join(out, f))
    }
    yield* AtomicFile.writeFile(file, MdktProtocolFile.toJson(protocol))
    return seeds
  })

/**
 * Runs a decoded protocol, prints the tables and writes the reports (resuming seed by seed, see the module doc).
 * @category running
 * @since 0.1.0
 */
export const runProtocol = (
  protocol: MdktProtocol,
  options: RunOptions = {}
): Effect.Effect<{ readonly run: MdktRunner.MdktRun; readonly written: MdktReport.Written }, RunError> =>
  Effect.gen(function*() {
    const p = options.seeds === undefined ? protocol : { ...protocol, seeds: [...options.seeds] }
    const started = performance.now()
    const log = options.log ?? ((line: string) => Console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`))
    const out = options.out ?? path.join("runs", p.name)
    if (options.fresh === true) yield* RunFolder.removeForFresh(out, ["protocol.json"])
    yield* RunFolder.own(out, "mdkt")
    Interrupted.setHint("rerun the same command to resume")
    const completed = yield* savedSeeds(out, p, options.fresh === true)
    const run = yield* MdktRunner.run(p, {
      log,
      completed,
      onSeed: (r) =>
        AtomicFile.writeFile(path.join(out, `seed-${r.seed}.json`), JSON.stringify(r)).pipe(
          Effect.tap(() => Effect.sync(() => Interrupted.record(`seed ${r.seed} of ${p.name}`)))
        )
    })
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
    Effect.mapError((e) => new MdktProtocolDecodeError({ source: file, issues: [{ path: "(file)", message: `cannot read: ${e.reason}` }] })),
    Effect.flatMap((text) => MdktProtocolFile.parse(text, file)),
    Effect.flatMap((p) => runProtocol(p, options))
  )
