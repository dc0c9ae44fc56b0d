/**
 * Sweeps on Effect Cluster. A submitted sweep is a durable workflow (`effect/workflow`, run by the cluster's
 * workflow engine, `ClusterWorkflowEngine`, so the workflow itself is an entity sharded over the runners, its
 * state and messages in the SQL store). The workflow puts each unit on a persisted queue
 * (`effect/persistence` `PersistedQueue`: rows of the store's `effect_queue` table, claimed under a lock that
 * the claiming runner refreshes) and waits on one durable deferred per unit; every runner process runs
 * workers that take units from that queue, one at a time by default, run them, record the result and
 * complete the unit's deferred (the pattern of Effect's `DurableQueue`, with all units queued before the
 * first wait).
 *
 * Why a queue for the units rather than one entity per unit: an entity lives on the runner that owns its
 * shard (a hash of its id), so 4 units on 2 runners land 2:2 only 3 times in 8; a queue is pulled by whichever
 * runner is free, so runners stay busy. Both are Effect's own durable machinery on one store.
 *
 * Nothing lost:
 * - a runner that dies (SIGKILL) stops refreshing the lock of the unit it holds; once the lock expires
 *   (`lockExpiration`) another runner's worker takes the unit and resumes it from its run folder, after the
 *   last completed stage. The workflow itself, if it lived on the dead runner, moves with its shard once the
 *   shard lock expires (`shardLockExpiration`) and resumes where it was (each unit's completion is a durable
 *   deferred in the store).
 * - a unit is recorded done by one conditional UPDATE (`UnitStore.finish`); a redelivered unit that is
 *   already done is not run again.
 * - submitting the same sweep again: the same sweep id (a hash of its content), so the same workflow
 *   execution and the same queue items; nothing is added.
 * @since 0.1.0
 */
import * as os from "node:os"
import { NodeClusterSocket } from "@effect/platform-node"
import { Progress } from "@reidfx/continual"
// biome-ignore lint/correctness/noUnusedImports: `Backend` names the requirement in the emitted declarations (tsc -b)
import type { Backend } from "@reidfx/tensor"
import { Cause, Duration, Effect, Exit, Layer, Option, Schedule, Schema } from "effect"
import { ClusterWorkflowEngine, RunnerAddress } from "effect/cluster"
import { PersistedQueue } from "effect/persistence"
import type { SqlClient } from "effect/sql"
import { DurableDeferred, Workflow } from "effect/workflow"
import * as Store from "./Store.ts"
import type { Sweep } from "./Sweep.ts"
import * as SweepReport from "./SweepReport.ts"
import * as Unit from "./Unit.ts"
import * as UnitStore from "./UnitStore.ts"

/** How a unit ended (a failed unit is recorded, not retried: its error is in the store). */
export const UnitOutcome = Schema.Literals(["done", "failed"])

/** An item of the unit queue: the unit, and the token that completes the sweep workflow's deferred for it. */
export const UnitItem = Schema.Struct({ unitId: Schema.String, token: DurableDeferred.Token })

/** The name of the persisted queue of units (rows of the store's `effect_queue` table). */
export const unitQueueName = "reidfx/SweepUnit"

/** The queue of units; an item's id is its unit id, so offering a unit twice adds nothing. */
export const unitQueue = PersistedQueue.make({ name: unitQueueName, schema: UnitItem })

/** The durable deferred through which the worker of a unit tells the sweep workflow how it ended. */
export const unitDeferred = (unitId: string) =>
  DurableDeferred.make(`reidfx/SweepUnit/${unitId}`, { success: UnitOutcome })

/** A submitted sweep: its execution id is derived from the sweep id, so resubmitting attaches to the same execution. */
export const SweepWorkflow = Workflow.make("reidfx/Sweep", {
  payload: { sweepId: Schema.String, units: Schema.Array(Schema.String) },
  success: Schema.Struct({ done: Schema.Int, failed: Schema.Int }),
  idempotencyKey: ({ sweepId }) => sweepId
})

/**
 * The workflow's body: every unit to the queue first (idempotent offers, replayed on resume), then wait for
 * all of them. (Not `DurableQueue.process` per unit: it offers then awaits, and the first await that
 * suspends the workflow interrupts the sibling offers still in flight, so units were queued one at a time.)
 */
export const SweepWorkflowLayer = SweepWorkflow.toLayer(({ units }) =>
  Effect.gen(function* () {
    const queue = yield* unitQueue
    for (const unitId of units) {
      const token = yield* DurableDeferred.token(unitDeferred(unitId))
      yield* queue
        .offer({ unitId, token }, { id: unitId })
        .pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20 }), Effect.orDie)
    }
    const outcomes = yield* Effect.forEach(units, (unitId) => DurableDeferred.await(unitDeferred(unitId)), {
      concurrency: "unbounded"
    })
    return { done: outcomes.filter((o) => o === "done").length, failed: outcomes.filter((o) => o === "failed").length }
  })
)

/** Timing of failure detection; the defaults suit long units, tests shorten them. */
export interface Timing {
  /** A unit's lock lapses this long after its runner stopped refreshing it (default 60 s). */
  readonly lockExpiration: Duration.Input
  /** How often a runner refreshes the locks of its units (default 10 s). */
  readonly lockRefreshInterval: Duration.Input
  /** How often an idle worker polls the queue (default 1 s). */
  readonly pollInterval: Duration.Input
  /** A dead runner's shards (the sweep workflow) move after this long (default 35 s, Effect's default). */
  readonly shardLockExpiration: Duration.Input
  readonly shardLockRefreshInterval: Duration.Input
}

/** The default lock expiration and refresh, polling and shard-lock timing of the cluster's runners. */
export const defaultTiming: Timing = {
  lockExpiration: "60 seconds",
  lockRefreshInterval: "10 seconds",
  pollInterval: "1 second",
  shardLockExpiration: "35 seconds",
  shardLockRefreshInterval: "10 seconds"
}

/** Options of a runner process. */
export interface RunnerOptions {
  /** The store URL (see `Store`). */
  readonly store: string
  /** The address other cluster members reach this runner at (default: this host name, port 34431). */
  readonly host?: string
  readonly port?: number
  /** Units run at once by this runner (default 1). */
  readonly concurrency?: number
  /** A name for this runner in the store (default host:port/pid). */
  readonly name?: string
  readonly timing?: Partial<Timing>
  /** Where the runner's own progress lines go (default: silent). */
  readonly log?: (line: string) => void
}

const queueStore = (timing: Timing) =>
  PersistedQueue.layer.pipe(
    Layer.provide(
      PersistedQueue.layerStoreSql({
        lockExpiration: timing.lockExpiration,
        lockRefreshInterval: timing.lockRefreshInterval,
        pollInterval: timing.pollInterval
      })
    )
  )

const shardingConfig = (timing: Timing, address: Option.Option<RunnerAddress.RunnerAddress>) => ({
  runnerAddress: address,
  shardLockExpiration: timing.shardLockExpiration,
  shardLockRefreshInterval: timing.shardLockRefreshInterval,
  entityMessagePollInterval: Duration.seconds(1),
  runnerHealthCheckInterval: Duration.seconds(5)
})

/**
 * The work of one unit on a runner: skip it if it is done, mark it running, run or resume it, record the
 * result, rewrite the sweep's reports from the store.
 */
export const processUnit = (unitId: string, runner: string, log: (line: string) => void) =>
  Effect.gen(function* () {
    const row = yield* UnitStore.unit(unitId)
    if (row === undefined) return "failed" as const
    if (row.status === "done") return "done" as const
    const sweep = yield* UnitStore.sweep(row.sweepId)
    const attempt = yield* UnitStore.start(unitId, runner)
    if (attempt === undefined) return "done" as const
    log(`${runner}: unit ${unitId} (attempt ${attempt})`)
    const out = Unit.unitDir(sweep.work, sweep.id, row)
    const context = yield* Effect.context<SqlClient.SqlClient>()
    const progress: Progress.ProgressService = {
      emit: (event) =>
        event._tag === "StageDone"
          ? UnitStore.stageDone(unitId, attempt, `${event.task} ${event.stage}`).pipe(
              Effect.provideContext(context),
              Effect.ignore
            )
          : event._tag === "UnitStarted" && event.resumed > 0
            ? Effect.sync(() => log(`${runner}: unit ${unitId} resumed after ${event.resumed} completed stage(s)`))
            : Effect.void
    }
    const exit = yield* Unit.run(row.protocol, row, out).pipe(
      Effect.provideService(Progress.Progress, progress),
      Effect.exit
    )
    if (exit._tag === "Failure") {
      // A runner stopping (Ctrl-C, SIGTERM) interrupts its unit: not a failure; the queue hands it on.
      if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
      const message = String(exit.cause)
      yield* UnitStore.fail(unitId, attempt, message)
      log(`${runner}: unit ${unitId} failed: ${message}`)
      return "failed" as const
    }
    const first = yield* UnitStore.finish(unitId, exit.value)
    log(`${runner}: unit ${unitId} ${first ? "done" : "was already done"}`)
    yield* SweepReport.write(sweep.work, sweep.id, yield* UnitStore.units(sweep.id)).pipe(
      Effect.catch((e) => Effect.sync(() => log(`${runner}: reports not written: ${e.message}`)))
    )
    return "done" as const
  })

/**
 * A runner process's layer: a cluster member (socket transport, SQL runner and message storage), the
 * workflow engine with the sweep workflow, and the unit workers. Launch it with `Layer.launch`.
 * Requires the tfjs backend to be set (a `Backend` layer).
 */
export const runnerLayer = (options: RunnerOptions) => {
  const timing = { ...defaultTiming, ...options.timing }
  const host = options.host ?? os.hostname()
  const port = options.port ?? 34431
  const name = options.name ?? `${host}:${port}/${process.pid}`
  const log = options.log ?? (() => {})
  const worker = Effect.gen(function* () {
    const queue = yield* unitQueue
    // A unit's own failure is an outcome ("failed", recorded); a store error fails the take, and the queue
    // delivers the unit again later (up to its 10 attempts).
    const take = queue
      .take(({ token, unitId }) =>
        processUnit(unitId, name, log).pipe(
          Effect.tapError((e) => Effect.sync(() => log(`${name}: unit ${unitId}: ${e.message} (will be retried)`))),
          Effect.flatMap((outcome) =>
            DurableDeferred.done(unitDeferred(unitId), { token, exit: Exit.succeed(outcome) })
          )
        )
      )
      .pipe(Effect.catchCause(Effect.logWarning), Effect.forever)
    yield* Effect.replicateEffect(take, options.concurrency ?? 1, { concurrency: "unbounded", discard: true })
  })
  const workers = Layer.effectDiscard(Effect.forkScoped(worker))
  return Layer.mergeAll(workers, SweepWorkflowLayer).pipe(
    Layer.provideMerge(ClusterWorkflowEngine.layer),
    Layer.provide(queueStore(timing)),
    Layer.provide(
      NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: shardingConfig(timing, Option.some(RunnerAddress.make(host, port)))
      })
    ),
    Layer.provide(Store.layer(options.store))
  )
}

/**
 * A client of the cluster (no shards, no workers): what `reidfx sweep` uses to submit a sweep's workflow.
 * Provides the workflow engine and the store's SQL client.
 */
export const clientLayer = (store: string, timing: Partial<Timing> = {}) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      NodeClusterSocket.layer({
        clientOnly: true,
        storage: "sql",
        shardingConfig: shardingConfig({ ...defaultTiming, ...timing }, Option.none())
      })
    ),
    Layer.provideMerge(Store.layer(store))
  )

/**
 * Submits a sweep: records it and its units in the store (idempotent), then starts its workflow (a second
 * submission attaches to the first). Returns whether the sweep was new.
 */
export const submit = (sweep: Sweep, work: string) =>
  Effect.gen(function* () {
    const isNew = yield* UnitStore.submit(sweep, work)
    yield* SweepWorkflow.execute({ sweepId: sweep.id, units: sweep.units.map((u) => u.id) }, { discard: true })
    return isNew
  })
