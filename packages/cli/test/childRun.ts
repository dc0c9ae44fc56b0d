/**
 * The child process of the crash tests (`crash.test.ts`, `crashMdkt.test.ts`): `reidfx run <file> --out <out>`
 * on the cpu backend, stopped by a signal inside its `pauseAt`-th file write (the test hook
 * `REIDFX_TEST_PAUSE_WRITE=<n>` pauses that write half-way through its temporary file and says so on stderr) or,
 * with `afterStages`, as soon as its stdout holds that many finished-stage lines (`stageLine`, between writes).
 */
import { spawn } from "node:child_process"
import { readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"

const bin = resolve(import.meta.dirname, "../src/bin.ts")

/** How the child ended. */
export interface Child {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
  /** Whether it was sent the signal (it reached the write or the stage lines). */
  readonly stopped: boolean
}

/** Runs the child and stops it as described in the module doc (`pauseAt` 0: no pause). */
export const runChild = (options: {
  readonly file: string
  readonly out: string
  readonly pauseAt: number
  readonly stop: NodeJS.Signals
  readonly afterStages?: number
  /** A finished stage's line on stdout (global, multiline), counted for `afterStages`. */
  readonly stageLine: RegExp
}): Promise<Child> =>
  new Promise((done) => {
    const afterStages = options.afterStages ?? 0
    const p = spawn(process.execPath, ["--conditions=@reidfx/source", bin, "run", options.file, "--out", options.out], {
      env: { ...process.env, REIDFX_BACKEND: "cpu", REIDFX_TEST_PAUSE_WRITE: String(options.pauseAt) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let stdout = ""
    let stopped = false
    const halt = () => {
      if (stopped) return
      stopped = true
      p.kill(options.stop)
    }
    p.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      if (stderr.includes("reidfx-test: writing")) halt()
    })
    p.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      if (afterStages > 0 && (stdout.match(options.stageLine) ?? []).length >= afterStages) halt()
    })
    p.on("exit", (code, signal) => done({ code, signal, stderr, stopped }))
  })

/** Every file under `root`, relative. */
export const files = (root: string, at = ""): Array<string> =>
  readdirSync(join(root, at)).flatMap((name) =>
    statSync(join(root, at, name)).isDirectory() ? files(root, join(at, name)) : [join(at, name)]
  )
