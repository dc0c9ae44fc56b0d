#!/usr/bin/env node
/**
 * Entry point of the `reidfx` command. Failures are reported in one line (`ErrorLine`); SIGINT / SIGTERM
 * interrupt the run (its scopes close: locks released, nothing half-written), then one line says what was
 * saved and how to resume (`Interrupted`), and the exit code is 130 / 143 (a second signal exits at once).
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Interrupted } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import { CliOutput, Command } from "effect/cli"
import { callerFolder } from "./CallerFolder.ts"
import { cli } from "./cli.ts"
import * as ErrorLine from "./ErrorLine.ts"

// relative paths given to `npm run reidfx` resolve against the folder it was typed in
const caller = callerFolder(process.env, process.cwd())
if (caller !== undefined) process.chdir(caller)

const codes = ErrorLine.signalCodes
let signal: keyof typeof codes | undefined
for (const s of ["SIGINT", "SIGTERM"] as const) {
  process.on(s, () => {
    if (signal !== undefined) {
      process.stderr.write(`${Interrupted.line(s)} (forced)\n`)
      process.exit(codes[s])
    }
    signal = s
  })
}

/** User errors rendered by the CLI framework: one line, `reidfx: <message>`. */
const oneLineErrors = CliOutput.layer({
  ...CliOutput.defaultFormatter(),
  formatError: (error) => `reidfx: ${ErrorLine.forError(error)}`
})

/** A command line the parser refuses is one line too (printed at teardown by `ErrorLine.forInvocation`), not the help page. */
const noHelpPageOnErrors = CliOutput.layerPresenter({
  present: (event) => (event._tag === "InvalidInvocation" ? Effect.void : CliOutput.defaultPresenter.present(event))
})

Command.run(cli, { version: "0.1.0" }).pipe(
  Effect.provide(Layer.mergeAll(NodeServices.layer, oneLineErrors, noHelpPageOnErrors)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      const { code, line } = ErrorLine.outcome(exit, signal, Interrupted.line)
      if (line !== undefined) process.stderr.write(`${line}\n`)
      onExit(code)
    }
  })
)
