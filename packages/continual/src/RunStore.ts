/**
 * The run folder: what a protocol run persists so that, interrupted at any point, it resumes from its last
 * completed stage with the same final results.
 *
 * ```
 * <out>/protocol.json                       the protocol (a resumed run must match it)
 * <out>/units/<method>/seed-<s>/state.json  the unit's stage journal (`StageJournal`): completed stages, their
 *                                           outcomes (`Stage.StageOutcome`), the live checkpoints as fields
 * <out>/units/<method>/seed-<s>/ckpt/<key>  model checkpoints (after train; at snapshot)
 * <out>/results.json, report.md, report.html
 * ```
 *
 * Every protocol kind keeps its units the same way (an MDKT or parts run: `units/seed-<s>/state.json`); this
 * module holds the atomic writes they share and {@link fromJournal}, a lifelong unit's results read off its journal.
 *
 * Every write is atomic and durable (`@reidfx/tensor` AtomicFile: every byte counted, fsync, rename, fsync of
 * the folder): files are written to a temporary name then renamed, checkpoint folders are written to a
 * temporary folder then swapped in, and `state.json` (which points at the checkpoints) is replaced last, so a
 * crash or a full disk leaves either the old state or the new one, never a half-written one.
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { AtomicFile, BoundedRead, WriteFailed } from "@reidfx/tensor"
import { Effect } from "effect"
import { RunStoreError } from "./errors.ts"
import type { TrainSummary } from "./Learner.ts"
import type { Cell } from "./Ledger.ts"
import type { StageOutcome } from "./Stage.ts"
import type { JournalState } from "./StageJournal.ts"

/** What one (method, seed) run produced, read off its journal ({@link fromJournal}). */
export interface UnitState {
  readonly method: string
  readonly seed: number
  /** Keys of completed stages, in order. */
  readonly completed: ReadonlyArray<string>
  readonly cells: ReadonlyArray<Cell>
  readonly trained: Readonly<Record<string, TrainSummary>>
  readonly custom: Readonly<Record<string, unknown>>
  /** Checkpoint folder (relative to the unit folder) of the model after the last completed stage. */
  readonly model: string | undefined
  /** Checkpoint folder of the model frozen by the last snapshot. */
  readonly oldModel: string | undefined
  /** Seconds spent in completed stages. */
  readonly seconds: number
}

/** The journal fields of a lifelong unit: its live checkpoint folders (relative to the unit folder). */
export type UnitFields = {
  readonly model?: string | undefined
  readonly oldModel?: string | undefined
}

/** The journal unit of a (method, seed) run: `<method>/seed-<s>`, so its folder is {@link unitDir}. */
export const unitName = (method: string, seed: number): string => `${method}/seed-${seed}`

/**
 * A lifelong unit's results from its journal: the cells of its `Evaluated` outcomes, the summaries of its
 * `Trained` ones and the values of its `Custom` ones, in the order the stages completed.
 */
export const fromJournal = (method: string, seed: number, journal: JournalState): UnitState => {
  const cells: Array<Cell> = []
  const trained: Record<string, TrainSummary> = {}
  const custom: Record<string, unknown> = {}
  for (const key of journal.completed) {
    const outcome = journal.values[key] as StageOutcome | undefined
    if (outcome?._tag === "Evaluated") cells.push(...outcome.cells)
    else if (outcome?._tag === "Trained") trained[key] = outcome.summary
    else if (outcome?._tag === "Custom") custom[key] = outcome.value
  }
  const fields = journal.fields as UnitFields
  return {
    method,
    seed,
    completed: journal.completed,
    cells,
    trained,
    custom,
    model: fields.model,
    oldModel: fields.oldModel,
    seconds: journal.seconds
  }
}

const attempt = <A>(operation: string, file: string, f: () => Promise<A>): Effect.Effect<A, RunStoreError> =>
  Effect.tryPromise({ try: f, catch: (cause) => new RunStoreError({ path: file, operation, cause }) })

/** Writes a file atomically and durably (temporary file, every byte checked, fsync, rename, fsync of the folder). */
export const writeFileAtomic = (file: string, text: string): Effect.Effect<void, RunStoreError> =>
  attempt("write", file, () => AtomicFile.writeFilePromise(file, text))

/** Reads a JSON file, or undefined if it does not exist. */
export const readJson = (file: string): Effect.Effect<unknown, RunStoreError> =>
  attempt("read", file, async () => {
    try {
      return JSON.parse(await BoundedRead.readTextPromise(file)) as unknown
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
      throw e
    }
  })

/**
 * Writes a folder atomically: `write` fills a temporary folder, which is then renamed to `dir` (replacing an
 * older one left by an interrupted run).
 */
export const writeDirAtomic = <E, R>(
  dir: string,
  write: (tmp: string) => Effect.Effect<void, E, R>
): Effect.Effect<void, E | RunStoreError, R> =>
  AtomicFile.writeDir(dir, write).pipe(
    Effect.mapError((e) =>
      e instanceof WriteFailed ? new RunStoreError({ path: dir, operation: "replace", cause: e.cause }) : e
    )
  )

/** Removes a folder (ignoring a missing one). */
export const remove = (dir: string): Effect.Effect<void, RunStoreError> =>
  attempt("remove", dir, () => fs.rm(dir, { recursive: true, force: true }))

/** The folder of one (method, seed) run. */
export const unitDir = (out: string, method: string, seed: number): string =>
  path.join(out, "units", method, `seed-${seed}`)
