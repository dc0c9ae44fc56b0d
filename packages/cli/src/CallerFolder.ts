/**
 * `npm run reidfx -- <args>` (and `npm run demo`) runs the command in the repository root, whatever folder it
 * was typed in; npm names that folder in `INIT_CWD`. The command moves back there before it reads its
 * arguments, so `npm run reidfx -- eval --query-features q.npy ...` in a subfolder reads `<subfolder>/q.npy`
 * and writes `runs/` there, as a plain `reidfx` would.
 * @since 0.1.0
 */
import * as fs from "node:fs"

/** The npm scripts of the root package.json that run the `reidfx` command. */
export const scripts: ReadonlyArray<string> = ["reidfx", "demo"]

/**
 * The folder the command should run in: the caller's (`INIT_CWD`) when npm started it through one of
 * {@link scripts} and that folder exists; undefined otherwise (stay where we are).
 */
export const callerFolder = (env: NodeJS.ProcessEnv, cwd: string): string | undefined => {
  const caller = env.INIT_CWD
  if (caller === undefined || caller === "" || caller === cwd) return undefined
  if (!scripts.includes(env.npm_lifecycle_event ?? "")) return undefined
  try {
    return fs.statSync(caller).isDirectory() ? caller : undefined
  } catch {
    return undefined
  }
}
