/**
 * The run engine's one persistence mechanism: the journal of a unit's completed stages, for every protocol kind
 * (a lifelong `Runner` unit is a (method, seed) whose stages are the protocol's (task, stage) keys; an MDKT or a
 * parts run keeps one journal per seed). A stage run through {@link stage} is skipped when its key is already in
 * the journal (its saved value is returned), so a run started again on the same folder resumes after its last
 * completed stage; otherwise it runs, and its value is committed with an atomic, durable write
 * (`RunStore.writeFileAtomic`) before the next stage starts.
 *
 * ```
 * <out>/units/<unit>/state.json   { format, unit, completed: [keys], values: { key: value }, fields, seconds }
 * <out>/units/<unit>/ckpt/...     whatever a stage writes with RunStore.writeDirAtomic before it commits
 * ```
 *
 * `fields` are the unit's live pointers beside the stages' values, replaced at a commit (the lifelong runner's
 * checkpoint folders of the current and the old model): a crash leaves the state before a commit or after it,
 * never between a stage's value and the pointers it moved. Without a folder nothing is persisted (every stage
 * runs). Values must be JSON values: a resumed stage returns the value read back from JSON.
 *
 * A `state.json` that is not a journal (a lifelong unit written before the runner kept one, or a damaged file)
 * is refused with a `RunStoreError` whose cause is a {@link RunFolderOutdated}: "... written by an older reidfx:
 * rerun with --fresh". Journals written before `format` and `fields` existed (MDKT, parts) are read as they are.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Interrupted } from "@reidfx/tensor"
import { Effect } from "effect"
import { RunFolderOutdated, RunMismatch, RunStoreError } from "./errors.ts"
import * as Progress from "./Progress.ts"
import * as RunStore from "./RunStore.ts"

/** The format of `state.json` this version writes (a newer one is refused). */
export const format = 1

/** What a journal persists. */
export interface JournalState {
  readonly format: number
  readonly unit: string
  /** Keys of completed stages, in order. */
  readonly completed: ReadonlyArray<string>
  readonly values: Readonly<Record<string, unknown>>
  /** The unit's live pointers (e.g. checkpoint folders), replaced at a commit. */
  readonly fields: Readonly<Record<string, unknown>>
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

/** A fresh journal's state. */
export const emptyState = (unit: string): JournalState => ({
  format,
  unit,
  completed: [],
  values: {},
  fields: {},
  seconds: 0
})

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Reads a saved `state.json` back: a journal (with or without `format` / `fields`), or the reason it is not one.
 * @category parsing
 */
export const parseState = (unit: string, json: unknown): JournalState | RunFolderOutdated => {
  if (!isRecord(json)) return new RunFolderOutdated({ writtenBy: "unknown", found: "not a JSON object" })
  const { completed, values, fields, seconds } = json
  const version = json.format ?? format
  if (typeof version !== "number")
    return new RunFolderOutdated({ writtenBy: "unknown", found: "a format that is not a number" })
  if (version > format)
    return new RunFolderOutdated({
      writtenBy: "newer",
      found: `format ${String(version)}; this reidfx reads ${format}`
    })
  if ("cells" in json && "trained" in json && values === undefined)
    return new RunFolderOutdated({ writtenBy: "older", found: "a lifelong unit state without a stage journal" })
  if (
    !Array.isArray(completed) ||
    !completed.every((k) => typeof k === "string") ||
    !isRecord(values) ||
    (fields !== undefined && !isRecord(fields)) ||
    typeof seconds !== "number"
  )
    return new RunFolderOutdated({ writtenBy: "unknown", found: "no stage journal" })
  return { format, unit, completed, values, fields: fields ?? {}, seconds }
}

/** Opens (reads back, or starts) the journal of `unit` in run folder `out`. @category constructors */
export const open = (out: string | undefined, unit: string): Effect.Effect<Journal, RunStoreError> =>
  Effect.gen(function* () {
    const dir = out === undefined ? undefined : unitDir(out, unit)
    const file = dir === undefined ? undefined : path.join(dir, "state.json")
    const saved = file === undefined ? undefined : yield* RunStore.readJson(file)
    const parsed = saved === undefined ? emptyState(unit) : parseState(unit, saved)
    if (parsed instanceof RunFolderOutdated)
      return yield* new RunStoreError({ path: file ?? unit, operation: "resume from", cause: parsed })
    let state: JournalState = parsed
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

/** Options of a commit. */
export interface CommitOptions {
  /** The unit's new fields (replacing the old ones); unchanged when absent. */
  readonly fields?: Readonly<Record<string, unknown>>
  /** What an interrupted run reports as saved (`Interrupted.record`); default `<unit> <key>`. */
  readonly where?: string
}

/** Commits a completed stage: its value, then the state file replaced atomically (the last write of the stage). */
export const commit = (
  journal: Journal,
  key: string,
  value: unknown,
  seconds: number,
  options: CommitOptions = {}
): Effect.Effect<void, RunStoreError> =>
  Effect.gen(function* () {
    const s = journal.state()
    const next: JournalState = {
      ...s,
      format,
      completed: [...s.completed.filter((k) => k !== key), key],
      values: { ...s.values, [key]: value },
      fields: options.fields ?? s.fields,
      seconds: s.seconds + seconds
    }
    if (journal.dir !== undefined) {
      yield* RunStore.writeFileAtomic(path.join(journal.dir, "state.json"), JSON.stringify(next, null, 1))
      Interrupted.record(options.where ?? `${journal.unit} ${key}`)
    }
    ;(journal as Journal & { set: (s: JournalState) => void }).set(next)
  })

/**
 * How a stage reports to the `Progress` service: `StageStarted` before it runs and `StageDone` (with `detail`
 * of its value) once committed; a resumed stage reports nothing (as the lifelong runner's).
 */
export interface StageProgress<A> {
  /** The method (or model) named in the events. */
  readonly method: string
  /** The seed named in the events. */
  readonly seed: number
  /** The task (or step of the run) named in the events. */
  readonly task: string
  /** The stage named in the events. */
  readonly stage: string
  /** The one-line summary of the stage's value shown by `StageDone`. */
  readonly detail: (value: A) => string
}

/**
 * Runs a stage unless the journal has it: returns its value (read back from the journal when it was done in an
 * earlier invocation) and whether it was resumed. With `progress`, the stage reports to the `Progress` service.
 */
export const stage = <A, E, R>(
  journal: Journal,
  key: string,
  run: Effect.Effect<A, E, R>,
  progress?: StageProgress<A>
): Effect.Effect<{ readonly value: A; readonly resumed: boolean }, E | RunStoreError, R> =>
  Effect.suspend((): Effect.Effect<{ readonly value: A; readonly resumed: boolean }, E | RunStoreError, R> => {
    if (isDone(journal, key)) return Effect.succeed({ value: journal.state().values[key] as A, resumed: true })
    const t0 = now()
    return Effect.gen(function* () {
      if (progress !== undefined)
        yield* Progress.emit({
          _tag: "StageStarted",
          method: progress.method,
          seed: progress.seed,
          task: progress.task,
          stage: progress.stage
        })
      const value = yield* run
      yield* commit(journal, key, value, now() - t0)
      if (progress !== undefined)
        yield* Progress.emit({
          _tag: "StageDone",
          method: progress.method,
          seed: progress.seed,
          task: progress.task,
          stage: progress.stage,
          seconds: now() - t0,
          detail: progress.detail(value)
        })
      return { value, resumed: false }
    })
  })

/**
 * Claims a run folder for a protocol: writes `protocol.json` (atomically) when the folder has none or holds an
 * older text of the same protocol, and fails with `RunMismatch` when it holds another protocol. `comparable`
 * maps a protocol file's JSON to what must match (e.g. without its seeds, so a run can add seeds to a folder).
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
    if (saved === undefined || JSON.stringify(saved) !== JSON.stringify(protocolJson))
      yield* RunStore.writeFileAtomic(file, JSON.stringify(protocolJson, null, 2))
  })
