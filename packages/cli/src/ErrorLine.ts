/**
 * Every failure of the `reidfx` command is reported in one line on stderr: the error's own message (each
 * names the value it got and what to do), lines joined with "; ". A configuration error from the environment
 * (`REIDFX_BACKEND=bogus`) names the variable, what is allowed and the value it got; a defect (a bug) says so
 * in one line too, with the full cause when `REIDFX_DEBUG=1`.
 * @since 0.1.0
 */
import { Cause, Exit } from "effect"

/** Joins the lines of a message into one (bullets dropped; a line ending in ":" introduces the next). */
export const flatten = (text: string): string =>
  text
    .split("\n")
    .map((l) => l.trim().replace(/^- /, ""))
    .filter((l) => l.length > 0)
    .reduce(
      (line, next) =>
        line === "" ? next : line.endsWith(":") || line.endsWith("?") ? `${line} ${next}` : `${line}; ${next}`,
      ""
    )

const configLine = (error: { readonly message: string }, env: NodeJS.ProcessEnv): string | undefined => {
  // effect's ConfigError: `SchemaError(Expected "a" | "b"\n  at ["NAME"])`
  const name = /at \["([A-Z0-9_]+)"\]/.exec(error.message)?.[1]
  if (name === undefined) return undefined
  const expected = /Expected ([^\n)]*)/.exec(error.message)?.[1]?.trim()
  const got = env[name]
  return `${name}: expected ${expected ?? "a valid value"}, got ${got === undefined ? "nothing" : JSON.stringify(got)}`
}

/** The one line reporting a failure `error` (a typed error, or any thrown value). */
export const forError = (error: unknown, env: NodeJS.ProcessEnv = process.env): string => {
  if (error !== null && typeof error === "object") {
    const tagged = error as { readonly _tag?: string; readonly message?: string; readonly userMessage?: string }
    if (tagged._tag === "UserError" && typeof tagged.userMessage === "string") return flatten(tagged.userMessage)
    if (tagged._tag === "ConfigError" && typeof tagged.message === "string")
      return configLine(tagged as { message: string }, env) ?? flatten(tagged.message)
    if (typeof tagged.message === "string" && tagged.message.length > 0) return flatten(tagged.message)
  }
  return flatten(String(error))
}

/**
 * The line reporting a failed run, or undefined when every failure was already reported (the CLI framework
 * prints user errors itself) or the run was only interrupted.
 */
export const forCause = (cause: Cause.Cause<unknown>, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason)) {
      const invocation = forInvocation(reason.error)
      if (invocation !== undefined) return invocation
      const error = reason.error as Record<string, unknown> | null
      if (error !== null && typeof error === "object" && error["~effect/Runtime/errorReported"] === false) continue
      return forError(reason.error, env)
    }
    if (Cause.isDieReason(reason)) {
      const detail = forError(reason.defect, env)
      return env.REIDFX_DEBUG === "1"
        ? `internal error: ${detail}\n${Cause.pretty(cause)}`
        : `internal error: ${detail} (set REIDFX_DEBUG=1 for the stack)`
    }
  }
  return undefined
}

/**
 * The line of a command line the parser refused (an unknown flag, a bad flag value, a missing argument: the
 * CLI framework's `ShowHelp` carrying errors), e.g. `Invalid value for flag --backend: "gpu". Expected: "wasm" |
 * "cpu" | ...; see reidfx train --help`; undefined for anything else (a plain `--help` carries no errors).
 */
export const forInvocation = (error: unknown): string | undefined => {
  if (error === null || typeof error !== "object") return undefined
  const e = error as {
    readonly _tag?: string
    readonly commandPath?: ReadonlyArray<string>
    readonly errors?: ReadonlyArray<{ readonly message?: string }>
  }
  if (e._tag !== "ShowHelp" || e.errors === undefined || e.errors.length === 0) return undefined
  const path = (e.commandPath ?? []).join(" ")
  return `${e.errors.map((x) => flatten(String(x.message ?? x))).join("; ")}; see ${path === "" ? "reidfx" : path} --help`
}

/** Exit codes of the signals the command handles (128 + the signal number). */
export const signalCodes = { SIGINT: 130, SIGTERM: 143 } as const

/**
 * How the command ends: its exit code and the one line to print on stderr (if any). A signal wins (130 / 143
 * and the `interrupted` line); a failure is exit 1 with its line (none when the CLI framework already printed
 * it); success is 0.
 */
export const outcome = (
  exit: Exit.Exit<unknown, unknown>,
  signal: keyof typeof signalCodes | undefined,
  interruptedLine: (signal: string) => string,
  env: NodeJS.ProcessEnv = process.env
): { readonly code: number; readonly line: string | undefined } => {
  if (signal !== undefined) return { code: signalCodes[signal], line: interruptedLine(signal) }
  if (Exit.isSuccess(exit)) return { code: 0, line: undefined }
  if (Cause.hasInterruptsOnly(exit.cause)) return { code: 130, line: interruptedLine("interrupt") }
  const line = forCause(exit.cause, env)
  return { code: 1, line: line === undefined ? undefined : `reidfx: ${line}` }
}
