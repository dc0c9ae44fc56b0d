/**
 * The sweep store: one SQL database, named by a URL, that every runner and every `reidfx sweep` shares. It
 * holds Effect Cluster's own tables (runners, shard locks, persisted messages, the unit queue) and reidfx's:
 *
 * ```
 * reidfx_sweeps        id, name, spec (the sweep as JSON), work (the shared run folder), created_at
 * reidfx_sweep_units   id, sweep_id, ordinal, variant, protocol (JSON), method, seed, status, runner,
 *                      attempts, stages (completed in this attempt), last_stage, result (JSON), error,
 *                      started_at, finished_at
 * ```
 *
 * A unit's `status` goes `pending -> running -> done | failed`; the move to `done` is one conditional UPDATE
 * (`WHERE status <> 'done'`), so a unit is recorded as completed once, whichever runner finishes it.
 *
 * URLs: `sqlite:<file>` (or a plain path) opens a SQLite file through `@effect/sql-sqlite-node` (Node's
 * built-in `node:sqlite`, WAL, 5 s busy timeout: several processes of one machine share it);
 * `postgres://...` / `postgresql://...` opens PostgreSQL through `@effect/sql-pg` (a pure TypeScript client),
 * loaded only when a URL asks for it.
 * @since 0.1.0
 */
import * as path from "node:path"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { StoreUnavailable } from "./errors.ts"

/** Where a store lives. */
export type StoreUrl =
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: string }

/** A URL as it may be shown: the password of `scheme://user:password@host` replaced by `***`. */
export const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")

/** Parses a store URL: `sqlite:<file>`, a plain file path, or `postgres://...`. */
export const parseUrl = (url: string): Effect.Effect<StoreUrl, StoreUnavailable> => {
  const text = url.trim()
  if (/^postgres(ql)?:\/\//.test(text)) return Effect.succeed({ _tag: "Postgres", url: text })
  const file = text.startsWith("sqlite:") ? text.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "") : text
  if (file.length === 0 || /^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    return Effect.fail(
      new StoreUnavailable({
        url: redact(url),
        reason: "expected sqlite:<file>, a file path, or postgres://user@host/db"
      })
    )
  }
  return Effect.succeed({ _tag: "Sqlite", filename: path.resolve(file) })
}

/** The default shared run folder of a store: next to a SQLite file; none for PostgreSQL. */
export const defaultWork = (store: StoreUrl): string | undefined =>
  store._tag === "Sqlite" ? `${store.filename.replace(/\.(db|sqlite3?)$/, "")}.work` : undefined

const postgres = (url: string): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> =>
  Layer.unwrap(
    Effect.gen(function* () {
      // loaded only when a postgres:// URL asks for it
      const { PgClient } = yield* Effect.tryPromise({
        try: () => import("@effect/sql-pg"),
        catch: (e) =>
          new StoreUnavailable({
            url: redact(url),
            reason: `cannot load @effect/sql-pg (reinstall reidfx's dependencies): ${String(e)}`
          })
      })
      return Layer.effect(SqlClient.SqlClient)(
        PgClient.make({ url: Redacted.make(url) }).pipe(
          Effect.mapError((e) => new StoreUnavailable({ url: redact(url), reason: e.message }))
        )
      ).pipe(Layer.provide(Reactivity.layer))
    })
  )

const sqlite = (url: string, filename: string): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> =>
  Layer.effect(SqlClient.SqlClient)(
    SqliteClient.make({ filename }).pipe(Effect.mapError((e) => new StoreUnavailable({ url, reason: e.message })))
  ).pipe(Layer.provide(Reactivity.layer))

/** The SQL client of a store URL (the tables are created by `layer`). */
export const clientLayer = (url: string): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> =>
  Layer.unwrap(
    Effect.map(parseUrl(url), (store) =>
      store._tag === "Postgres" ? postgres(store.url) : sqlite(url, store.filename)
    )
  )

/** Creates reidfx's tables if they are missing (idempotent; safe when several processes start at once). */
export const migrate: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS reidfx_sweeps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    work TEXT NOT NULL,
    created_at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS reidfx_sweep_units (
    id TEXT PRIMARY KEY,
    sweep_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    variant TEXT NOT NULL,
    protocol TEXT NOT NULL,
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    runner TEXT,
    attempts INTEGER NOT NULL,
    stages INTEGER NOT NULL,
    last_stage TEXT,
    result TEXT,
    error TEXT,
    started_at BIGINT,
    finished_at BIGINT
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS reidfx_sweep_units_sweep ON reidfx_sweep_units (sweep_id, ordinal)`
})

/** The SQL client of a store URL with reidfx's tables in place. */
export const layer = (url: string): Layer.Layer<SqlClient.SqlClient, StoreUnavailable> =>
  Layer.effectDiscard(Effect.mapError(migrate, (e) => new StoreUnavailable({ url, reason: e.message }))).pipe(
    Layer.provideMerge(clientLayer(url))
  )
