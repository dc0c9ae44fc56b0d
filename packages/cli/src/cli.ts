/**
 * The `reidfx` command line. Each subcommand lives in `commands/<name>.ts`.
 * @since 0.1.0
 */
import { Command } from "effect/cli"
import { BackendFlag } from "./BackendFlag.ts"
import { backendCommand } from "./commands/backend.ts"
import { clusterCommand } from "./commands/cluster.ts"
import { identifyCommand } from "./commands/identify.ts"
import { trackCommand } from "./commands/track.ts"
import { verifyCommand } from "./commands/verify.ts"
import { demoCommand } from "./commands/demo.ts"
import { evalCommand } from "./commands/eval.ts"
import { initCommand } from "./commands/init.ts"
import { trainCommand } from "./commands/train.ts"
import { runCommand } from "./commands/run.ts"
import { weightsCommand } from "./commands/weights.ts"
import { runnerCommand } from "./commands/runner.ts"
import { sweepCommand } from "./commands/sweep.ts"
import { extractCommand, testCommand } from "./commands/test.ts"
import { searchCommand } from "./commands/search.ts"

/** The root command with every subcommand. */
export const cli = Command.make("reidfx").pipe(
  Command.withDescription("reidfx: deep metric learning, distillation and lifelong object re-identification"),
  Command.withSubcommands([
    backendCommand,
    evalCommand,
    trainCommand,
    runCommand,
    demoCommand,
    verifyCommand,
    identifyCommand,
    clusterCommand,
    trackCommand,
    initCommand,
    weightsCommand,
    sweepCommand,
    runnerCommand,
    testCommand,
    extractCommand,
    searchCommand
  ]),
  // --backend is accepted by every command (before or after its name)
  Command.withGlobalFlags([BackendFlag])
)
