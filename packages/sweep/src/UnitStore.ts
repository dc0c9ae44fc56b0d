/**
 * Reading and writing sweeps and units in the store (see `Store` for the tables). Every write is a single
 * statement, so a runner killed at any point leaves each row either before or after it.
 * @since 0.1.0
 */
import type { Ledger, Runner, RunStore } from "@reidfx/continual"
import { type Protocol, ProtocolFile } from "@reidfx/reid"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { StoreError, SweepNotFound } from "./errors.ts"
import type { Sweep } from "./Sweep.ts"

/** What a finished unit stores: its part of the run's result. */
export interface UnitResult {
  readonly layout: Ledger.Layout
  readonly method: Runner.MethodInfo
  readonly state: RunStore.UnitState
  readonly computeSeconds: number
}

/** A unit's status. */
export type UnitStatus = "pending" | "running" | "done" | "failed"

/** One row of `reidfx_sweep_units`, decoded. */
export interface UnitRow {
  readonly id: string
  readonly sweepId: string
  readonly ordinal: number
  readonly variant: string
  readonly protocol: Protocol.Protocol
  readonly method: string
  readonly seed: number
  readonly status: UnitStatus
  readonly runner: string | undefined
  readonly attempts: number
  readonly stages: number
  readonly lastStage: string | undefined
  readonly result: UnitResult | undefined
  readonly error: string | undefined
  readonly startedAt: number | undefined
  readonly finishedAt: number | undefined
}

/** A sweep's row. */
export interface SweepRow {
  readonly id: string
  readonly name: string
  readonly work: string
  readonly createdAt: number
}

const withSql = <A, E>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* SqlClient.SqlClient)
  })

const storeError = (operation: string) => (cause: unknown) => new StoreError({ operation, cause })

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v))
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v))

const decodeRow = (r: Record<string, unknown>): Effect.Effect<UnitRow, StoreError> =>
  Effect.gen(function* () {
    const protocol = yield* ProtocolFile.parse(String(r.protocol), `unit ${String(r.id)}`).pipe(
      Effect.mapError(storeError("decode unit protocol"))
    )
    return {
      id: String(r.id),
      sweepId: String(r.sweep_id),
      ordinal: Number(r.ordinal),
      variant: String(r.variant),
      protocol,
      method: String(r.method),
      seed: Number(r.seed),
      status: String(r.status) as UnitStatus,
      runner: str(r.runner),
      attempts: Number(r.attempts),
      stages: Number(r.stages),
      lastStage: str(r.last_stage),
      result: r.result === null || r.result === undefined ? undefined : (JSON.parse(String(r.result)) as UnitResult),
      error: str(r.error),
      startedAt: num(r.started_at),
      finishedAt: num(r.finished_at)
    }
  })

/**
 * Records a sweep and its units as pending. Idempotent: a sweep (or unit) already in the store is left as it
 * is, so submitting the same sweep again adds nothing. Returns whether the sweep was new.
 */
export const submit = (sweep: Sweep, work: string): Effect.Effect<boolean, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const inserted = yield* sql<{ id: string }>`INSERT INTO reidfx_sweeps (id, name, spec, work, created_at)
      VALUES (${sweep.id}, ${sweep.name}, ${JSON.stringify(sweep.variants.map((v) => ({ name: v.name, protocol: ProtocolFile.toJson(v.protocol) })))}, ${work}, ${Date.now()})
      ON CONFLICT (id) DO NOTHING RETURNING id`
    for (const u of sweep.units) {
      yield* sql`INSERT INTO reidfx_sweep_units (id, sweep_id, ordinal, variant, protocol, method, seed, status, attempts, stages)
        VALUES (${u.id}, ${sweep.id}, ${u.ordinal}, ${u.variant}, ${ProtocolFile.toJsonText(u.protocol)}, ${u.method}, ${u.seed}, 'pending', 0, 0)
        ON CONFLICT (id) DO NOTHING`
    }
    return inserted.length > 0
  }).pipe(Effect.mapError(storeError("submit sweep")))

/** A sweep's row. */
export const sweep = (id: string): Effect.Effect<SweepRow, StoreError | SweepNotFound, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<
      Record<string, unknown>
    >`SELECT id, name, work, created_at FROM reidfx_sweeps WHERE id = ${id}`.pipe(
      Effect.mapError(storeError("read sweep"))
    )
    const r = rows[0]
    if (r === undefined) return yield* new SweepNotFound({ id })
    return { id: String(r.id), name: String(r.name), work: String(r.work), createdAt: Number(r.created_at) }
  })

/** Every unit of a sweep, in sweep order. */
export const units = (sweepId: string): Effect.Effect<ReadonlyArray<UnitRow>, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<
      Record<string, unknown>
    >`SELECT * FROM reidfx_sweep_units WHERE sweep_id = ${sweepId} ORDER BY ordinal`.pipe(
      Effect.mapError(storeError("read units"))
    )
    return yield* Effect.forEach(rows, decodeRow)
  })

/** One unit. */
export const unit = (id: string): Effect.Effect<UnitRow | undefined, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM reidfx_sweep_units WHERE id = ${id}`.pipe(
      Effect.mapError(storeError("read unit"))
    )
    return rows[0] === undefined ? undefined : yield* decodeRow(rows[0])
  })

/**
 * Marks a unit running on `runner` as a new attempt, unless it is already done. Returns the attempt number
 * (the fencing token of this attempt: progress and failures of an older attempt are ignored), or undefined
 * when the unit is done.
 */
export const start = (id: string, runner: string): Effect.Effect<number | undefined, StoreError, SqlClient.SqlClient> =>
  withSql(
    (sql) =>
      sql<{
        readonly attempts: number
      }>`UPDATE reidfx_sweep_units SET status = 'running', runner = ${runner}, attempts = attempts + 1,
      stages = 0, started_at = ${Date.now()} WHERE id = ${id} AND status <> 'done' RETURNING attempts`
  ).pipe(
    Effect.map((rows) => (rows[0] === undefined ? undefined : Number(rows[0].attempts))),
    Effect.mapError(storeError("start unit"))
  )

/** Records a completed stage of attempt `attempt` of a running unit (for progress). */
export const stageDone = (
  id: string,
  attempt: number,
  stage: string
): Effect.Effect<void, StoreError, SqlClient.SqlClient> =>
  withSql(
    (sql) =>
      sql`UPDATE reidfx_sweep_units SET stages = stages + 1, last_stage = ${stage}
      WHERE id = ${id} AND status = 'running' AND attempts = ${attempt}`
  ).pipe(Effect.asVoid, Effect.mapError(storeError("record stage")))

/**
 * Records a unit as done with its result. One conditional UPDATE: true when this call completed it, false
 * when it was already done (then nothing changes, so a unit completes once).
 */
export const finish = (id: string, result: UnitResult): Effect.Effect<boolean, StoreError, SqlClient.SqlClient> =>
  withSql(
    (sql) =>
      sql<{
        readonly id: string
      }>`UPDATE reidfx_sweep_units SET status = 'done', result = ${JSON.stringify(result)}, error = NULL,
      finished_at = ${Date.now()} WHERE id = ${id} AND status <> 'done' RETURNING id`
  ).pipe(
    Effect.map((rows) => rows.length > 0),
    Effect.mapError(storeError("finish unit"))
  )

/** Records attempt `attempt` of a unit as failed (its error message kept); a done unit stays done. */
export const fail = (
  id: string,
  attempt: number,
  message: string
): Effect.Effect<void, StoreError, SqlClient.SqlClient> =>
  withSql(
    (sql) =>
      sql`UPDATE reidfx_sweep_units SET status = 'failed', error = ${message}, finished_at = ${Date.now()}
      WHERE id = ${id} AND status <> 'done' AND attempts = ${attempt}`
  ).pipe(Effect.asVoid, Effect.mapError(storeError("fail unit")))
