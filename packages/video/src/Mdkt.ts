/**
 * The MDKT entry points a command line calls: run a protocol file (or a decoded protocol) with progress lines,
 * print both tables, and write `results.json`, `report.md` and `report.html`.
 *
 * `reidfx run protocols/mdkt-synthetic.yaml` dispatches here when the file says `kind: mdkt` (see
 * {@link MdktProtocolFile.isMdktProtocolValue}): `Mdkt.runFile(path, { out, seeds })`.
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { InvalidOption } from "@reidfx/tensor"
import type { NonFiniteLoss } from "@reidfx/train"
import { Console, Effect } from "effect"
import * as AblationTable from "./AblationTable.ts"
import { MdktProtocolDecodeError, type MdktProtocolInvalid } from "./errors.ts"
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
}

/** Everything an MDKT run can fail with. @category errors @since 0.1.0 */
export type RunError = NonFiniteLoss | InvalidOption | MdktProtocolInvalid | MdktProtocolDecodeError

/**
 * Runs a decoded protocol, prints the tables and writes the reports.
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
    const run = yield* MdktRunner.run(p, { log })
    yield* Console.log("")
    yield* Console.log(AblationTable.toText(run))
    const written = yield* MdktReport.write(options.out ?? path.join("runs", p.name), run)
    yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
    return { run, written }
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
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (e) => new MdktProtocolDecodeError({ source: file, issues: [{ path: "(file)", message: `cannot read: ${e instanceof Error ? e.message : String(e)}` }] })
  }).pipe(
    Effect.flatMap((text) => MdktProtocolFile.parse(text, file)),
    Effect.flatMap((p) => runProtocol(p, options))
  )
