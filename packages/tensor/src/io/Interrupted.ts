/**
 * What an interrupted run has saved: long jobs record, after each durable save, where they stand ("task 2
 * stage train") and how to go on ("rerun the same command to resume"); the command line prints it in one line
 * when SIGINT or SIGTERM stops the process.
 * @since 0.1.0
 */

let saved: { readonly where: string; readonly hint: string } | undefined
let hintBeforeSave = "nothing was saved yet"

/** Records the last durable save and how to resume from it. */
export const record = (where: string, hint: string): void => {
  saved = { where, hint }
}

/** Sets what to say when nothing is saved yet (e.g. "rerun the same command to start over"). */
export const beforeFirstSave = (hint: string): void => {
  hintBeforeSave = hint
}

/** The one line printed when a signal stops the process, e.g. "interrupted (SIGINT) after task 2 stage train; rerun the same command to resume". */
export const line = (signal: string): string =>
  saved === undefined ? `interrupted (${signal}) before anything was saved; ${hintBeforeSave}` : `interrupted (${signal}) after ${saved.where}; ${saved.hint}`

/** Forgets what was recorded (tests). */
export const reset = (): void => {
  saved = undefined
  hintBeforeSave = "nothing was saved yet"
}
