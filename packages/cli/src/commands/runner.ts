/**
 * `reidfx runner --store <url>`: a runner process of Effect Cluster. It joins the cluster of the store (one
 * runner per machine, or several on one), takes sweep units from the store's queue and runs them (one at a
 * time by default), with the tfjs backend of `REIDFX_BACKEND`. Stop it with Ctrl-C; killed, its unit moves to
 * another runner after `--lock-expiration` and resumes after its last completed stage.
 * @since 0.1.0
 */
import * as os from "node:os"
import { Store, SweepCluster } from "@reidfx/sweep"
import { Backend } from "@reidfx/tensor"
import { Console, Duration, Effect, Layer, Option, References } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { storeFlag } from "./sweep.ts"
import * as BackendFlag from "../BackendFlag.ts"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

export const runnerCommand = Command.make(
  "runner",
  {
    store: storeFlag,
    host: Flag.String("host").pipe(
      Flag.optional,
      Flag.withDescription("The address other cluster members reach this runner at (default: the host name)")
    ),
    port: Flag.Int("port").pipe(
      Flag.withDefault(34431),
      Flag.withDescription("The port this runner listens on (one per runner on a machine)")
    ),
    concurrency: Flag.Int("concurrency").pipe(
      Flag.withDefault(1),
      Flag.withDescription("Units run at once by this runner")
    ),
    lockExpiration: Flag.Int("lock-expiration").pipe(
      Flag.withDefault(60),
      Flag.withDescription(
        "Seconds after which a dead runner's unit moves to another runner (must exceed the longest synchronous step)"
      )
    )
  },
  ({ store, host, port, concurrency, lockExpiration }) =>
    Effect.gen(function* () {
      if (concurrency < 1) return yield* userError("--concurrency must be at least 1")
      if (lockExpiration < 3) return yield* userError("--lock-expiration must be at least 3 seconds")
      const address = Option.getOrElse(host, () => os.hostname())
      const backend = yield* Backend.Backend
      yield* Console.log(
        `reidfx runner ${address}:${port} on store ${Store.redact(store)}, backend ${backend.name} (${backend.threads} thread(s)), ${concurrency} unit(s) at a time`
      )
      const refresh = Math.max(1, Math.floor(lockExpiration / 6))
      yield* Layer.launch(
        SweepCluster.runnerLayer({
          store,
          host: address,
          port,
          concurrency,
          timing: {
            lockExpiration: Duration.seconds(lockExpiration),
            lockRefreshInterval: Duration.seconds(refresh),
            shardLockExpiration: Duration.seconds(Math.max(lockExpiration, 10)),
            shardLockRefreshInterval: Duration.seconds(refresh)
          },
          log: (line) => process.stdout.write(`${line}\n`)
        })
      ).pipe(
        Effect.catchTag("StoreUnavailable", (e) => Effect.fail(userError(e.message))),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
    }).pipe(Effect.provide(BackendFlag.layer))
).pipe(
  Command.withDescription("Run sweep units: a runner process of the store's Effect Cluster (start one per machine)")
)
