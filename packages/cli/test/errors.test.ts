/**
 * Bad input to the `reidfx` command, table-driven: each case ends with exit code 1, one line on stderr (with
 * the value it got), and nothing written into its output folder.
 */
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { createRequire } from "node:module"
import { ConfigProvider, Effect, Layer } from "effect"
import { Command } from "effect/cli"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { RunFolder } from "@reidfx/tensor"
import { cli } from "../src/cli.ts"
import * as ErrorLine from "../src/ErrorLine.ts"
import { toyProtocol } from "./toyProtocol.ts"

const dir = mkdtempSync(join(tmpdir(), "reidfx-errors-"))
const at = (name: string) => join(dir, name)
const toy = toyProtocol("toy-errors", ["bot-ft"])
writeFileSync(at("toy.yaml"), toy)
writeFileSync(at("huge.yaml"), toy.replace("identities: 24", "identities: 1e12"))
writeFileSync(at("custom.yaml"), `${toy}stages: [{ kind: train }, { kind: custom, name: probe }, { kind: evaluate }]\n`)
writeFileSync(at("scalar.yaml"), "hello\n")
// the shipped MDKT protocol with a misspelt key in the teacher's stage
writeFileSync(
  at("mdkt-typo.yaml"),
  readFileSync(join(import.meta.dirname, "..", "..", "..", "protocols", "mdkt-synthetic.yaml"), "utf8").replace(
    /^teacher:\n(( {2}.*\n)*?) {2}epochs:/m,
    "teacher:\n$1  epochz:"
  )
)
execFileSync("mkfifo", [at("fifo.yaml")])
// a .npy declaring shape (-20, 16)
const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-20, 16), }".padEnd(117, " ") + "\n"
writeFileSync(
  at("neg.npy"),
  Buffer.concat([
    Buffer.from([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length, 0]),
    Buffer.from(header),
    Buffer.alloc(64)
  ])
)
writeFileSync(at("ids.json"), "[1, 2]")
// a folder of a user's files, and a run folder held by another (live) process: our parent
mkdirSync(at("thesis"))
writeFileSync(at("thesis/chapter1.tex"), "precious")
mkdirSync(at("held"))
writeFileSync(at(`held/${RunFolder.MARKER}`), "{}")
writeFileSync(at(`held/${RunFolder.LOCK}`), `${process.ppid}\n`)
// a lifelong run folder written before the runner kept a stage journal per unit
const oldState = JSON.stringify({
  method: "bot-ft",
  seed: 0,
  completed: [],
  cells: [],
  trained: {},
  custom: {},
  seconds: 0
})
mkdirSync(at("old/units/bot-ft/seed-0"), { recursive: true })
writeFileSync(at(`old/${RunFolder.MARKER}`), `${JSON.stringify({ kind: "lifelong" })}\n`)
writeFileSync(at("old/units/bot-ft/seed-0/state.json"), oldState)

const hasNodeGpu = (() => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node-gpu")
    return true
  } catch {
    return false
  }
})()

interface Case {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env?: Record<string, string>
  /** The whole line, or a pattern of it. */
  readonly line: string | RegExp
  /** A folder that must not exist afterwards (nothing written), or whose listing must not change. */
  readonly untouched?: string
  readonly skip?: boolean
}

const out = (name: string) => at(`out-${name}`)
const parts = join(import.meta.dirname, "..", "..", "..", "protocols", "parts-synthetic.yaml")
const train = ["train", "--backend", "cpu", "--set", "data.identities=12", "--set", "sampler={p: 3, k: 2}"]

const cases: ReadonlyArray<Case> = [
  {
    name: "REIDFX_BACKEND=bogus",
    args: ["backend"],
    env: { REIDFX_BACKEND: "bogus" },
    line: 'reidfx: REIDFX_BACKEND: expected "wasm" | "cpu" | "node" | "nodeGpu" | "torch" | "auto", got "bogus"'
  },
  {
    name: "nodeGpu without its package (backend)",
    args: ["backend"],
    env: { REIDFX_BACKEND: "nodeGpu" },
    line: /^reidfx: tfjs backend "nodeGpu" is unavailable: the optional package @tensorflow\/tfjs-node-gpu is not installed: install it with `npm install @tensorflow\/tfjs-node-gpu@4\.22\.0`/,
    skip: hasNodeGpu
  },
  {
    name: "nodeGpu without its package (run)",
    args: ["run", at("toy.yaml"), "--out", out("gpu")],
    env: { REIDFX_BACKEND: "nodeGpu" },
    line: /^reidfx: tfjs backend "nodeGpu" is unavailable/,
    untouched: out("gpu"),
    skip: hasNodeGpu
  },
  {
    name: "--set sampler.p=1000",
    args: [...train, "--set", "sampler.p=1000", "--output", out("p")],
    line: "reidfx: invalid run configuration (flags): sampler.p: 1000 identities per batch, but the training split has only 6 (data.identities=12); lower sampler.p or raise data.identities",
    untouched: out("p")
  },
  {
    name: "identities: 1e12 (train)",
    args: [...train, "--set", "data.identities=1e12", "--output", out("ids")],
    line: "reidfx: invalid run configuration (flags): at data.identities: Expected a value between 4 and 100000 (got 1000000000000)",
    untouched: out("ids")
  },
  {
    name: "identities: 1e12 (protocol)",
    args: ["run", at("huge.yaml"), "--out", out("huge")],
    line: `reidfx: invalid protocol (${at("huge.yaml")}): at data.split.world.identities: Expected a value between 1 and 100000 (got 1000000000000)`,
    untouched: out("huge")
  },
  {
    name: "YAML scalar config",
    args: [...train, "--config", at("scalar.yaml"), "--output", out("scalar")],
    line: `reidfx: invalid run configuration (${at("scalar.yaml")}): expected a mapping of keys (e.g. "epochs: 4"), got the string "hello"`,
    untouched: out("scalar")
  },
  {
    name: "reidfx run /dev/zero",
    args: ["run", "/dev/zero", "--out", out("zero")],
    line: "reidfx: cannot read /dev/zero: it is a character device, not a regular file",
    untouched: out("zero")
  },
  {
    name: "reidfx run <FIFO>",
    args: ["run", at("fifo.yaml"), "--out", out("fifo")],
    line: `reidfx: cannot read ${at("fifo.yaml")}: it is a FIFO (named pipe), not a regular file`,
    untouched: out("fifo")
  },
  {
    name: "--fresh on a folder of user files",
    args: ["run", at("toy.yaml"), "--fresh", "--out", at("thesis")],
    line: `reidfx: run folder ${at("thesis")}: not a reidfx run folder (no .reidfx-run file; it holds 1 entry, e.g. chapter1.tex); --fresh deletes only run folders, so nothing was deleted: choose another --out`,
    untouched: at("thesis")
  },
  {
    name: "a second writer on a run folder",
    args: ["run", at("toy.yaml"), "--out", at("held")],
    line: `reidfx: run folder ${at("held")}: in use by process ${process.ppid} (lock file ${at(`held/${RunFolder.LOCK}`)}); wait for it to finish or stop it`,
    untouched: at("held")
  },
  {
    name: "an unregistered custom stage",
    args: ["run", at("custom.yaml"), "--out", out("custom")],
    line: /^reidfx: method bot-ft, seed 0, task 0, stage probe: no custom stage "probe" is registered \(registered: none\); nothing was run$/,
    untouched: out("custom")
  },
  {
    name: "REIDFX_BACKEND=gpu (run)",
    args: ["run", at("toy.yaml"), "--out", out("envgpu")],
    env: { REIDFX_BACKEND: "gpu" },
    line: 'reidfx: REIDFX_BACKEND: expected "wasm" | "cpu" | "node" | "nodeGpu" | "torch" | "auto", got "gpu"',
    untouched: out("envgpu")
  },
  {
    name: "REIDFX_BACKEND=gpu (demo)",
    args: ["demo", "--out", out("demogpu")],
    env: { REIDFX_BACKEND: "gpu" },
    line: 'reidfx: REIDFX_BACKEND: expected "wasm" | "cpu" | "node" | "nodeGpu" | "torch" | "auto", got "gpu"',
    untouched: out("demogpu")
  },
  {
    name: "nodeGpu without its package (demo)",
    args: ["demo", "--out", out("demonodegpu")],
    env: { REIDFX_BACKEND: "nodeGpu" },
    line: /^reidfx: tfjs backend "nodeGpu" is unavailable/,
    untouched: out("demonodegpu"),
    skip: hasNodeGpu
  },
  {
    name: "--backend nodeGpu without its package (train)",
    args: ["train", "--backend", "nodeGpu", "--output", out("flaggpu")],
    line: /^reidfx: tfjs backend "nodeGpu" is unavailable/,
    untouched: out("flaggpu"),
    skip: hasNodeGpu
  },
  {
    name: "--backend gpu",
    args: ["backend", "--backend", "gpu"],
    line: 'reidfx: Invalid value for flag --backend: "gpu". Expected: "wasm" | "cpu" | "node" | "nodeGpu" | "torch" | "auto"; see reidfx backend --help'
  },
  {
    name: "--epochs abc",
    args: ["train", "--epochs", "abc"],
    line: 'reidfx: Invalid value for flag --epochs: "abc". Expected a string representing a finite number; see reidfx train --help'
  },
  {
    name: "a misspelt command",
    args: ["trian"],
    line: 'reidfx: Unknown subcommand "trian" for "reidfx"; Did you mean this? train; see reidfx --help'
  },
  {
    name: "--set optimizer.lr=0.1",
    args: [...train, "--set", "optimizer.lr=0.1", "--output", out("lr")],
    line: 'reidfx: invalid run configuration (flags): at optimizer.lr: unknown key "lr"; allowed keys: kind, beta1, beta2, epsilon, weightDecay, decayScope (the learning rate is schedule.learningRate)',
    untouched: out("lr")
  },
  {
    name: "--set optimizer.kind=rmsprop",
    args: [...train, "--set", "optimizer.kind=rmsprop", "--output", out("kind")],
    line: 'reidfx: invalid run configuration (flags): at optimizer.kind: kind must be one of "sgd", "adam", "adamw", got "rmsprop"',
    untouched: out("kind")
  },
  {
    name: "--print-config on a kind that does not handle it (parts) is refused, nothing run",
    args: ["run", parts, "--print-config", "--out", out("parts")],
    line: `reidfx: --print-config, --dry-run and --mlflow apply to lifelong and mdkt protocols for now; ${parts} is a parts protocol`,
    untouched: out("parts")
  },
  {
    name: "a misspelt key in an MDKT protocol names the allowed keys",
    args: ["run", at("mdkt-typo.yaml"), "--out", out("mdkt-typo")],
    line: `reidfx: invalid MDKT protocol (${at("mdkt-typo.yaml")}): at teacher.epochz: unknown key "epochz"; allowed keys: frames, sampling, epochs, batchesPerEpoch, batch, optimizer, tr, weights`,
    untouched: out("mdkt-typo")
  },
  {
    name: "a run folder written by an older reidfx is refused (rerun with --fresh)",
    args: ["run", at("toy.yaml"), "--out", at("old")],
    line: `reidfx: run folder: cannot resume from ${at("old/units/bot-ft/seed-0/state.json")}: written by an older reidfx (a lifelong unit state without a stage journal): rerun with --fresh`
  },
  {
    name: "--methods not in the protocol",
    args: ["run", at("toy.yaml"), "--methods", "lwf", "--out", out("methods")],
    line: "reidfx: --methods: lwf not in the protocol (it has bot-ft)",
    untouched: out("methods")
  },
  {
    name: ".npy with negative dims",
    args: [
      "eval",
      "--query-features",
      at("neg.npy"),
      "--gallery-features",
      at("neg.npy"),
      "--query-ids",
      at("ids.json"),
      "--query-cams",
      at("ids.json"),
      "--gallery-ids",
      at("ids.json"),
      "--gallery-cams",
      at("ids.json")
    ],
    env: { REIDFX_BACKEND: "cpu" },
    line: `reidfx: ${at("neg.npy")}: not a valid .npy file (shape (-20, 16) is not a tuple of non-negative integers)`
  }
]

const listing = (folder: string) => (existsSync(folder) ? readdirSync(folder).sort().join(",") : undefined)

describe("bad input: one line, exit code 1, nothing written", () => {
  for (const c of cases) {
    it.effect.skipIf(c.skip === true)(c.name, () =>
      Effect.gen(function* () {
        const env = { REIDFX_BACKEND: "cpu", ...c.env }
        const before = c.untouched === undefined ? undefined : listing(c.untouched)
        const exit = yield* Command.runWith(cli, { version: "0.0.0", renderErrors: false })(c.args).pipe(
          Effect.provide(Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env })))),
          Effect.exit
        )
        const { code, line } = ErrorLine.outcome(exit, undefined, () => "interrupted", env)
        expect(code).toBe(1)
        expect(line).toBeDefined()
        expect(line).not.toContain("\n")
        if (typeof c.line === "string") expect(line).toBe(c.line)
        else expect(line).toMatch(c.line)
        if (c.untouched !== undefined) expect(listing(c.untouched)).toBe(before)
      })
    )
  }

  it("the folder of user files is intact", () => {
    expect(readFileSync(at("thesis/chapter1.tex"), "utf8")).toBe("precious")
  })

  it("the older run folder's unit state is intact", () => {
    expect(readFileSync(at("old/units/bot-ft/seed-0/state.json"), "utf8")).toBe(oldState)
  })
})
