/**
 * `reidfx sweep <sweep.yaml> --store <url>`: submits a sweep (protocols x parameter values x methods x
 * seeds) to the runners of a store (`reidfx runner --store <url>`, on any number of machines), then follows
 * it with progress until every unit is finished, and prints each protocol variant's tables (the tables of
 * `reidfx run` on the same grid). Submitting the same sweep again attaches to it: nothing is run twice.
 * Reports are rewritten under the work folder as units finish, so a partial sweep has partial tables.
 * @since 0.1.0
 */
import * as path from "node:path"
import { Follow, Store, SweepCluster, SweepReport, Sweep } from "@reidfx/sweep"
import { Console, Effect, Option, References } from "effect"
import { Argument, CliError, Command, Flag } from "effect/cli"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

/** The `--store` flag shared by `sweep` and `runner`. */
export const storeFlag = Flag.String("store").pipe(
  Flag.withDefault("sqlite:runs/sweeps.db"),
  Flag.withDescription("The shared store: sqlite:<file> (one machine) or postgres://user@host/db (several machines)")
)

export const sweepCommand = Command.make(
  "sweep",
  {
    sweep: Argument.String("sweep").pipe(Argument.withDescription("A sweep file (.yaml or .json)")),
    store: storeFlag,
    work: Flag.String("work").pipe(
      Flag.optional,
      Flag.withDescription(
        "The run folder every runner reaches (checkpoints, reports); default: next to a SQLite store"
      )
    ),
    detach: Flag.Boolean("detach").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Submit and return without following")
    )
  },
  ({ sweep: file, store, work, detach }) =>
    Effect.gen(function* () {
      const sweep = yield* Sweep.readFile(file).pipe(Effect.mapError((e) => userError(e.message)))
      const url = yield* Store.parseUrl(store).pipe(Effect.mapError((e) => userError(e.message)))
      const folder = Option.isSome(work) ? path.resolve(work.value) : Store.defaultWork(url)
      if (folder === undefined)
        return yield* userError(
          "--work: a PostgreSQL store needs a work folder that every runner reaches (a shared mount)"
        )
      const program = Effect.gen(function* () {
        const isNew = yield* SweepCluster.submit(sweep, folder)
        yield* Console.log(
          `sweep ${sweep.id}: ${sweep.units.length} unit(s) (${sweep.variants.length} variant(s)), ${isNew ? "submitted" : "already submitted: following it"}; ` +
            `work folder ${folder}`
        )
        if (detach) return
        const final = yield* Follow.follow(sweep.id, { onChange: (s) => Console.log(Follow.format(s)) })
        yield* Console.log("")
        yield* Console.log(SweepReport.toText(SweepReport.fromUnits(final.units)))
        yield* Console.log(`\nreports: ${path.join(folder, sweep.id)}/<variant>/report.md, report.html, results.json`)
        if (final.failed > 0) {
          const failed = final.units.filter((u) => u.status === "failed")
          return yield* userError(
            `${failed.length} unit(s) failed:\n${failed.map((u) => `  ${u.id}: ${u.error ?? "?"}`).join("\n")}`
          )
        }
      })
      yield* program.pipe(
        Effect.provide(SweepCluster.clientLayer(store)),
        Effect.catchTags({
          StoreUnavailable: (e) => Effect.fail(userError(e.message)),
          StoreError: (e) => Effect.fail(userError(e.message)),
          SweepNotFound: (e) => Effect.fail(userError(e.message))
        }),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
    })
).pipe(
  Command.withDescription(
    "Submit a sweep (protocols x parameters x methods x seeds) to the runners of a store and follow it"
  )
)
