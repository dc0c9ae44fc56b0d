/**
 * Following a submitted sweep: reads its units from the store every `interval`, reports each change (a unit
 * started, finished a stage, moved to another runner, finished), rewrites the reports as units finish, and
 * returns when every unit is done or failed.
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import type { SqlClient } from "effect/sql"
import type { StoreError, SweepNotFound } from "./errors.ts"
import * as SweepReport from "./SweepReport.ts"
import * as UnitStore from "./UnitStore.ts"

/** A snapshot of a sweep's progress. */
export interface Snapshot {
  readonly units: ReadonlyArray<UnitStore.UnitRow>
  readonly done: number
  readonly failed: number
  readonly running: ReadonlyArray<UnitStore.UnitRow>
}

/** The progress snapshot of a sweep's units. */
export const snapshot = (units: ReadonlyArray<UnitStore.UnitRow>): Snapshot => ({
  units,
  done: units.filter((u) => u.status === "done").length,
  failed: units.filter((u) => u.status === "failed").length,
  running: units.filter((u) => u.status === "running")
})

/** One progress line of a snapshot. */
export const format = (s: Snapshot): string => {
  const running = s.running.map(
    (u) =>
      `${u.variant} ${u.method} seed ${u.seed} on ${u.runner ?? "?"}${u.attempts > 1 ? ` (attempt ${u.attempts})` : ""}${u.lastStage === undefined ? "" : `: ${u.lastStage}`}`
  )
  return `[${s.done}/${s.units.length} done${s.failed > 0 ? `, ${s.failed} failed` : ""}] ${
    s.done + s.failed === s.units.length
      ? "finished"
      : running.length === 0
        ? "waiting for a runner"
        : running.join("; ")
  }`
}

const key = (s: Snapshot) => s.units.map((u) => `${u.status}:${u.runner}:${u.attempts}:${u.stages}`).join("|")

/**
 * Follows sweep `sweepId` until every unit is done or failed; `onChange` receives each new snapshot, and the
 * reports under the work folder are rewritten whenever a unit finishes.
 */
export const follow = (
  sweepId: string,
  options: { readonly interval?: Duration.Input; readonly onChange?: (s: Snapshot) => Effect.Effect<void> } = {}
): Effect.Effect<Snapshot, StoreError | SweepNotFound, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sweep = yield* UnitStore.sweep(sweepId)
    const interval = Duration.fromInputUnsafe(options.interval ?? "1 second")
    let last = ""
    let finished = -1
    while (true) {
      const s = snapshot(yield* UnitStore.units(sweepId))
      const k = key(s)
      if (k !== last) {
        last = k
        if (options.onChange !== undefined) yield* options.onChange(s)
      }
      if (s.done !== finished) {
        finished = s.done
        yield* SweepReport.write(sweep.work, sweepId, s.units).pipe(Effect.ignore)
      }
      if (s.done + s.failed === s.units.length) return s
      yield* Effect.sleep(interval)
    }
  })
