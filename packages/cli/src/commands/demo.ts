/**
 * `reidfx demo` (and `npm run demo`): the main job. Runs the LReID-like inter-domain benchmark on the domains
 * of the built-in synthetic world (the protocol of `protocols/lifelong-synthetic.yaml`: shared pretraining, four
 * training domains, four unseen domains) for joint training, BoT-FT, LwF, AKA, DMML-FT, DwPP and DwoPP over
 * seeds 0, 1, 2, and prints the results table in the layout of the DwoPP paper (mean ± std), forgetting and the
 * verdicts on the paper's claims. `--seeds 0` for one seed, `--epochs` to shorten or lengthen it, `--quick` for the 30-second first result (`QuickDemo`). Run again on the same folder, an interrupted demo resumes (`--fresh` starts over).
 * @since 0.1.0
 */
import { Backend } from "@reidfx/tensor"
import { Demo, ProtocolFile, QuickDemo } from "@reidfx/reid"
import { Console, Effect } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { runFlags, runProtocol } from "./run.ts"
import * as BackendFlag from "../BackendFlag.ts"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

export const demoCommand = Command.make(
  "demo",
  {
    ...runFlags,
    quick: Flag.Boolean("quick").pipe(
      Flag.withDefault(false),
      Flag.withDescription(
        "The 30-second first result: 2 domains, 3 methods, 1 seed (folder runs/lifelong-synthetic-quick)"
      )
    )
  },
  ({ quick, ...flags }) =>
    Effect.gen(function* () {
      const protocol = yield* ProtocolFile.make(quick ? QuickDemo.protocol : Demo.protocol).pipe(
        Effect.mapError((e) => userError(e.message))
      )
      const backend = yield* Backend.Backend
      yield* Console.log(
        `reidfx demo: lifelong ReID on the synthetic world (${
          protocol.data.split.kind === "intraDomain"
            ? `${protocol.data.split.tasks} tasks`
            : `${protocol.data.split.sequence.length} domains in sequence`
        }), ` + `backend ${backend.name} (${backend.threads} thread(s)); methods ${protocol.methods.join(", ")}`
      )
      yield* runProtocol(protocol, flags)
    }).pipe(Effect.provide(BackendFlag.layer))
).pipe(
  Command.withDescription("The main job: the lifelong ReID table of the DwoPP paper on the built-in synthetic world")
)
