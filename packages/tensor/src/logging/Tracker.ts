/**
 * Experiment trackers: where a run's per-step and per-evaluation numbers go besides the terminal. A
 * `Tracker` is the hook interface of W&B-style clients (`init` with the config, `log` of scalars at a step,
 * `finish` with the outcome); reidfx ships the CSV / JSON-lines history (`History`), TensorBoard event files
 * (`TensorBoard.tracker`) and an MLflow file store (`Mlflow.tracker`), and any user object of this shape
 * (a W&B or MLflow REST client, a database) plugs in the same way.
 *
 * Trackers are fed through the progress services: `RunLog.progress` (training's `ProgressService`) and
 * continual's `Progress.layerLogged` turn the events every command already reports into {@link LogRecord}s.
 * A tracker that throws is reported once (a warning) and dropped: a full disk or an unreachable server never
 * stops the training it observes.
 * @since 0.1.0
 */
import { Effect, Exit, type Scope } from "effect"
import type { Provenance } from "./Provenance.ts"

/** Where a record sits: which method, seed, task, epoch and test set (those that apply). */
export interface Where {
  readonly method?: string
  readonly seed?: number
  readonly task?: string
  readonly epoch?: number
  readonly testSet?: string
}

/** One row of the history: scalars at a step of training, or the metrics of one evaluation. */
export interface LogRecord {
  readonly kind: "step" | "evaluation"
  /** The optimizer step (training) or the index of the task learnt last (evaluation; -1: untrained). */
  readonly step: number
  /** Seconds since the Unix epoch. */
  readonly time: number
  readonly where: Where
  readonly values: Readonly<Record<string, number>>
}

/** What a tracker is told when the run starts. */
export interface RunInfo {
  readonly name: string
  readonly config: unknown
  readonly provenance: Provenance
}

/** The hook interface of a tracker (W&B's `init` / `log` / `finish`). */
export interface Tracker {
  readonly name: string
  /** Called once when the run starts. */
  readonly init?: (run: RunInfo) => void | Promise<void>
  /** Called with every record, in order. */
  readonly log: (record: LogRecord) => void | Promise<void>
  /** Called once when the run ends, with its outcome. */
  readonly finish?: (outcome: "finished" | "failed" | "killed") => void | Promise<void>
}

/** The open trackers of a run. */
export interface RunLog {
  /** Passes one record to every live tracker. */
  readonly record: (record: LogRecord) => Effect.Effect<void>
}

/** The name of a scalar in flat namespaces (TensorBoard tags, MLflow metric keys): `method/seed-0/task-1/eval/<set>/mAP`. */
export const scalarName = (record: LogRecord, name: string): string => {
  const w = record.where
  return [
    w.method,
    w.seed === undefined ? undefined : `seed-${w.seed}`,
    record.kind === "step" ? "train" : "eval",
    w.testSet,
    name
  ]
    .filter((p): p is string => p !== undefined && p !== "")
    .join("/")
}

/**
 * Starts `trackers` for a run (their `init`), and finishes them when the scope closes (`finished`, `failed`
 * or `killed` from the scope's exit). The returned log feeds every tracker each record, in order.
 */
export const open = (trackers: ReadonlyArray<Tracker>, run: RunInfo): Effect.Effect<RunLog, never, Scope.Scope> =>
  Effect.gen(function* () {
    const live = new Set<Tracker>()
    const call = (t: Tracker, what: string, f: () => void | Promise<void>) =>
      Effect.tryPromise(async () => await f()).pipe(
        Effect.catch((e) => {
          live.delete(t)
          return Effect.logWarning(
            `tracker ${t.name}: ${what} failed (${e.cause instanceof Error ? e.cause.message : String(e.cause)}); it is dropped for the rest of the run`
          )
        })
      )
    for (const t of trackers) {
      live.add(t)
      if (t.init !== undefined) yield* call(t, "init", () => t.init!(run))
    }
    yield* Effect.addFinalizer((exit) => {
      const outcome = Exit.isSuccess(exit) ? "finished" : Exit.hasInterrupts(exit) ? "killed" : "failed"
      return Effect.forEach(
        [...live],
        (t) => (t.finish === undefined ? Effect.void : call(t, "finish", () => t.finish!(outcome))),
        { discard: true }
      )
    })
    return {
      record: (record) => Effect.forEach([...live], (t) => call(t, "log", () => t.log(record)), { discard: true })
    }
  })
