/**
 * Where a result came from: the reidfx version, the git commit (when run inside a repository; `dirty` when
 * it has uncommitted changes), the backend and its threads, Node's version, the platform, the command line and
 * a hash of the configuration. Written into every run folder's `results.json` and at the top of its reports,
 * so a number can be traced back to the code and settings that produced it.
 * @since 0.1.0
 */
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Option } from "effect"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"

/** The provenance block of a run. */
export interface Provenance {
  readonly reidfx: string
  /** `git rev-parse HEAD` of the working folder, when it is inside a git repository. */
  readonly commit?: string
  /** true when that repository has uncommitted changes (`git status --porcelain` not empty). */
  readonly dirty?: boolean
  readonly backend: string
  readonly threads: number
  readonly node: string
  readonly platform: string
  /** The command line after the Node executable (`process.argv.slice(1)`; the reidfx entry point as `reidfx`). */
  readonly commandLine: ReadonlyArray<string>
  /** sha256 of the canonical JSON of the configuration (object keys sorted), first 16 hex digits. */
  readonly configHash: string
  /** When the run started (ISO 8601, UTC). */
  readonly startedAt: string
}

/** reidfx's version (the `version` of this package's package.json). */
export const version: string = (() => {
  try {
    return (JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
      .version
  } catch {
    return "unknown"
  }
})()

/** JSON with object keys sorted at every level, so equal configurations have equal text. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        )
      : v
  ) ?? "null"

/** sha256 of {@link canonicalJson} of `config`, first 16 hex digits. */
export const configHash = (config: unknown): string =>
  createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16)

const git = (args: ReadonlyArray<string>, cwd: string): string | undefined => {
  try {
    const r = spawnSync("git", args, { cwd, encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] })
    return r.status === 0 ? r.stdout.trim() : undefined
  } catch {
    return undefined
  }
}

/** The git commit of `cwd` and whether its tree is dirty (nothing when git or a repository is absent). */
export const gitState = (cwd: string): { readonly commit?: string; readonly dirty?: boolean } => {
  const commit = git(["rev-parse", "HEAD"], cwd)
  if (commit === undefined || !/^[0-9a-f]{40}$/.test(commit)) return {}
  const status = git(["status", "--porcelain", "--untracked-files=no"], cwd)
  return status === undefined ? { commit } : { commit, dirty: status.length > 0 }
}

/** The command line as typed: the `reidfx` entry point (`.../cli/src/bin.ts`, `.../cli/dist/bin.js`) shown as `reidfx`. */
export const commandLine = (argv: ReadonlyArray<string>): ReadonlyArray<string> =>
  argv.length > 0 && /[\\/]cli[\\/](src|dist)[\\/]bin\.[jt]s$/.test(argv[0]!) ? ["reidfx", ...argv.slice(1)] : [...argv]

/** Builds the provenance of a run from its configuration and backend (pure apart from git and the clock). */
export const make = (options: {
  readonly config: unknown
  readonly backend: { readonly name: string; readonly threads: number }
  readonly cwd?: string
  readonly argv?: ReadonlyArray<string>
  readonly now?: Date
}): Provenance => ({
  reidfx: version,
  ...gitState(options.cwd ?? process.cwd()),
  backend: options.backend.name,
  threads: options.backend.threads,
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  commandLine: commandLine(options.argv ?? process.argv.slice(1)),
  configHash: configHash(options.config),
  startedAt: (options.now ?? new Date()).toISOString()
})

/** The provenance of a run in the current context (the `Backend` service when provided, else tfjs's active backend). */
export const current = (config: unknown): Effect.Effect<Provenance> =>
  Effect.map(Effect.serviceOption(Backend.Backend), (backend) =>
    make({ config, backend: Option.getOrElse(backend, () => ({ name: tf.getBackend() ?? "none", threads: 1 })) })
  )

/** The provenance as lines of text (`key: value`), for the terminal and the reports. */
export const lines = (p: Provenance): ReadonlyArray<string> => [
  `reidfx ${p.reidfx}${p.commit === undefined ? "" : `, commit ${p.commit.slice(0, 12)}${p.dirty === true ? " (uncommitted changes)" : ""}`}`,
  `backend ${p.backend} (${p.threads} thread(s)), Node ${p.node}, ${p.platform}`,
  `command: ${p.commandLine.join(" ")}`,
  `config hash ${p.configHash}, started ${p.startedAt}`
]
