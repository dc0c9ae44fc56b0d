/**
 * The run engine's journal of completed stages, for any protocol kind whose run is a sequence of keyed stages
 * (the lifelong `Runner` keeps the richer `RunStore.UnitState`; an MDKT run keeps one journal per seed). A stage
 * run through {@link stage} is skipped when its key is already in the journal (its saved value is returned), so
 * a run started again on the same folder resumes after its last completed stage; otherwise it runs, and its
 * value is committed with an atomic, durable write (`RunStore.writeFileAtomic`) before the next stage starts.
 *
 * ```
 * <out>/units/<unit>/state.json   { unit, completed: [keys], values: { key: value }, seconds }
 * <out>/units/<unit>/ckpt/...     whatever a stage writes with RunStore.writeDirAtomic before it commits
 * ```
 *
 * Without a folder nothing is persisted (every stage runs). Values must be JSON values: a resumed stage returns
 * the value read back from JSON.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Interrupted } from "@reidfx/tensor"
import { Effect } from "effect"
import { RunMismatch, type RunStoreError } from "./errors.ts"
import * as RunStore from "./RunStore.ts"

/** What a journal persists. */
export interface JournalState {
  readonly unit: string
  /** Keys of completed stages, in order. */
  readonly completed: ReadonlyArray<string>
  readonly values: Readonly<Record<string, unknown>>
  /** Seconds spent in completed stages. */
  readonly seconds: number
}

/** The journal of one unit of a run (a seed, a method and seed, ...). */
export interface Journal {
  readonly unit: string
  /** The unit's folder (`<out>/units/<unit>`), undefined without a run folder. */
  readonly dir: string | undefined
  /** The state as of the last commit. */
  readonly state: () => JournalState
}

const now = () => performance.now() / 1000

/** The folder of a unit. */
export const unitDir = (out: string, unit: string): string => path.join(out, "units", ...unit.split("/"))

/** Opens (reads back, or starts) the journal of `unit` in run folder `out`. @category constructors */
export const open = (out: string | undefined, unit: string): Effect.Effect<Journal, RunStoreError> =>
  Effect.gen(function* () {
    const dir = out === undefined ? undefined : unitDir(out, unit)
    const saved = dir === undefined ? undefined : yield* RunStore.readJson(path.join(dir, "state.json"))
    let state: JournalState =
      saved === undefined ? { unit, completed: [], values: {}, seconds: 0 } : (saved as JournalState)
    const journal: Journal & { set: (s: JournalState) => void } = {
      unit,
      dir,
      state: () => state,
      set: (s) => {
        state = s
      }
    }
    return journal
  })

/** Whether a stage is in the journal. */
export const isDone = (journal: Journal, key: string): boolean => journal.state().completed.includes(key)

/** Commits a completed stage: its value, then the state file replaced atomically (the last write of the stage). */
export const commit = (
  journal: Journal,
  key: string,
  value: unknown,
  seconds: number
): Effect.Effect<void, RunStoreError> =>
  Effect.gen(function* () {
    const s = journal.state()
    const next: JournalState = {
      ...s,
      completed: [...s.completed.filter((k) => k !== key), key],
      values: { ...s.values, [key]: value },
      seconds: s.seconds + seconds
    }
    if (journal.dir !== undefined) {
      yield* RunStore.writeFileAtomic(path.join(journal.dir, "state.json"), JSON.stringify(next, null, 1))
      Interrupted.record(`${journal.unit} ${key}`)
    }
    ;(journal as Journal & { set: (s: JournalState) => void }).set(next)
  })

/**
 * Runs a stage unless the journal has it: returns its value (read back from the journal when it was done in an
 * earlier invocation) and whether it was resumed.
 */
export const stage = <A, E, R>(
  journal: Journal,
  key: string,
  run: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly value: A; readonly resumed: boolean }, E | RunStoreError, R> =>
  Effect.suspend((): Effect.Effect<{ readonly value: A; readonly resumed: boolean }, E | RunStoreError, R> => {
    if (isDone(journal, key)) return Effect.succeed({ value: journal.state().values[key] as A, resumed: true })
    const t0 = now()
    return Effect.flatMap(run, (value) => Effect.as(commit(journal, key, value, now() - t0), { value, resumed: false }))
  })

/**
 * Claims a run folder for a protocol: writes `protocol.json` (atomically) when the folder has none, and fails
 * with `RunMismatch` when it holds another protocol. `comparable` maps a protocol file's JSON to what must
 * match (e.g. without its seeds, so a run can add seeds to a folder).
 */
export const claimProtocol = (
  out: string,
  protocolJson: unknown,
  comparable: (json: unknown) => unknown = (json) => json
): Effect.Effect<void, RunStoreError | RunMismatch> =>
  Effect.gen(function* () {
    const file = path.join(out, "protocol.json")
    const saved = yield* RunStore.readJson(file)
    if (saved !== undefined && JSON.stringify(comparable(saved)) !== JSON.stringify(comparable(protocolJson))) {
      return yield* new RunMismatch({ path: out, detail: "protocol.json differs from the protocol being run" })
    }
    yield* RunStore.writeFileAtomic(file, JSON.stringify(protocolJson, null, 2))
  })
