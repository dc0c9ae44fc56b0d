/**
 * What an interrupted run has saved: long jobs record, after each durable save, where they stand ("task 2
 * stage train", "step 120 of 360"); the job sets how to go on ("rerun the same command to resume"); the command
 * line prints both in one line when SIGINT or SIGTERM stops the process.
 * @since 0.1.0
 */

let saved: string | undefined
let hint = "rerun the same command to start again"

/** Records the last durable save. */
export const record = (where: string): void => {
  saved = where
}

/** Sets how to resume what was saved (e.g. "rerun the same command with --resume to continue"). */
export const setHint = (text: string): void => {
  hint = text
}

/** The one line printed when a signal stops the process, e.g. "interrupted (SIGINT) after task 2 stage train; rerun the same command to resume". */
export const line = (signal: string): string =>
  saved === undefined
    ? `interrupted (${signal}) before anything was saved; ${hint}`
    : `interrupted (${signal}) after ${saved}; ${hint}`

/** Forgets what was recorded (tests). */
export const reset = (): void => {
  saved = undefined
  hint = "rerun the same command to start again"
}
