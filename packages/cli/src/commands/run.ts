/**
 * `reidfx run <protocol.yaml>`: runs any declared protocol (JSON or YAML) on the reidfx stack, with progress,
 * then prints the results tables and writes `results.json`, `report.md` and `report.html` into the run folder.
 * A lifelong protocol (`@reidfx/continual`) resumes after its last completed stage; an image-to-video MDKT
 * protocol (`kind: mdkt`, `@reidfx/video`) resumes seed by seed.
 * @since 0.1.0
 */
import { DataRoots, Lifelong, Progress, type Protocol, ProtocolFile, type Runner, Strategy, Table } from "@reidfx/continual"
import { BoundedRead, RunFolder } from "@reidfx/tensor"
import { RunConfig } from "@reidfx/train"
import { Mdkt, MdktProtocolFile } from "@reidfx/video"
import { Console, Effect, type FileSystem, Option, References } from "effect"
import { Argument, CliError, Command, Flag } from "effect/cli"
import { existsSync } from "node:fs"
import * as path from "node:path"
import * as YAML from "yaml"
import * as BackendFlag from "../BackendFlag.ts"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

const list = (text: string): ReadonlyArray<string> => text.split(",").map((s) => s.trim()).filter((s) => s.length > 0)

/** Parses `--seeds 0,1,2`. */
export const parseSeeds = (text: string): Effect.Effect<ReadonlyArray<number>, CliError.UserError> => {
  const values = list(text).map(Number)
  return values.length > 0 && values.every((v) => Number.isInteger(v) && v >= 0)
    ? Effect.succeed(values)
    : Effect.fail(userError(`--seeds: expected comma-separated non-negative integers, got "${text}"`))
}

/** The flags shared by `run` and `demo`. */
export const runFlags = {
  out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("Run folder (default runs/<protocol name>); an interrupted run there resumes")),
  fresh: Flag.Boolean("fresh").pipe(Flag.withDefault(false), Flag.withDescription("Delete the run folder first instead of resuming")),
  methods: Flag.String("methods").pipe(
    Flag.optional,
    Flag.withDescription(`Run only these methods (comma-separated names of the protocol's methods; built in: ${Object.keys(Strategy.builtins).join(", ")})`)
  ),
  seeds: Flag.String("seeds").pipe(Flag.optional, Flag.withDescription("Seeds to run instead of the protocol's (comma-separated)")),
  epochs: Flag.Int("epochs").pipe(Flag.optional, Flag.withDescription("Epochs per task instead of the protocol's")),
  printConfig: Flag.Boolean("print-config").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Print the protocol as it would run (after --set, --seeds, --epochs; every default filled in) as YAML, and exit")
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Check the protocol, its dataset folders and the run folder, say what would run, and exit (nothing trained or written)")
  ),
  mlflow: Flag.String("mlflow").pipe(
    Flag.optional,
    Flag.withDescription("Also log every step and evaluation to this MLflow file store (an mlruns folder; `mlflow ui --backend-store-uri <it>`)")
  )
}

/** Runs a decoded protocol with the shared flags: progress on stdout, the table at the end. */
export const runProtocol = (
  protocol: Protocol.Protocol,
  flags: {
    readonly out: Option.Option<string>
    readonly fresh: boolean
    readonly methods: Option.Option<string>
    readonly seeds: Option.Option<string>
    readonly epochs: Option.Option<number>
    readonly mlflow?: Option.Option<string>
    readonly printConfig?: boolean
    readonly dryRun?: boolean
  }
): Effect.Effect<Runner.RunResult | undefined, CliError.UserError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    let p = protocol
    if (Option.isSome(flags.seeds)) p = { ...p, seeds: [...(yield* parseSeeds(flags.seeds.value))] }
    if (Option.isSome(flags.epochs)) {
      if (flags.epochs.value < 1) return yield* userError("--epochs must be at least 1")
      p = { ...p, training: { ...p.training, epochs: flags.epochs.value } }
    }
    const methods = Option.map(flags.methods, list)
    if (Option.isSome(methods)) {
      const known = p.methods.map((m) => (typeof m === "string" ? m : m.name))
      const unknown = methods.value.filter((m) => !known.includes(m))
      if (unknown.length > 0) return yield* userError(`--methods: ${unknown.join(", ")} not in the protocol (it has ${known.join(", ")})`)
    }
    const out = Option.getOrElse(flags.out, () => path.join("runs", p.name))
    if (flags.printConfig === true) {
      yield* Console.log(ProtocolFile.toYaml(p).trimEnd())
      return undefined
    }
    if (flags.dryRun === true) {
      yield* Console.log(yield* dryRun(p, out, Option.getOrUndefined(methods), flags.fresh))
      return undefined
    }
    if (flags.fresh) yield* RunFolder.removeForFresh(out, ["protocol.json"]).pipe(Effect.mapError((e) => userError(e.message)))
    const started = Date.now()
    const cpuStart = process.cpuUsage()
    const mlflow = Option.getOrUndefined(flags.mlflow ?? Option.none())
    const { result, written } = yield* Lifelong.run(p, {
      out,
      ...(mlflow === undefined ? {} : { logging: { mlflow } }),
      ...(Option.isSome(methods) ? { methods: methods.value } : {})
    }).pipe(
      Effect.mapError((e) => userError(e.message)),
      Effect.provide(Progress.layerConsole()),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
    yield* Console.log("")
    yield* Console.log(Table.toText(result))
    const cpu = process.cpuUsage(cpuStart)
    yield* Console.log(
      `\nwall time of this invocation: ${((Date.now() - started) / 1000).toFixed(0)} s ` +
        `(CPU time of the process: ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s)`
    )
    if (written !== undefined) {
      yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
      yield* Console.log(`history: ${path.join(out, "history")} (steps, evaluations: CSV and JSON lines); TensorBoard: tensorboard --logdir ${path.join(out, "tensorboard")}`)
    }
    return result
  })

/**
 * What `--dry-run` says: the units (methods x seeds), tasks and steps, the dataset folders (checked: a missing one
 * is the usual error), and whether the run folder would start fresh or resume.
 */
const dryRun = (p: Protocol.Protocol, out: string, methods: ReadonlyArray<string> | undefined, fresh: boolean) =>
  Effect.gen(function*() {
    yield* DataRoots.resolveFromConfig(p).pipe(Effect.mapError((e) => userError(e.message)))
    const names = p.methods.map((m) => (typeof m === "string" ? m : m.name)).filter((m) => methods === undefined || methods.includes(m))
    const split = p.data.split
    const tasks = split.kind === "intraDomain" ? split.tasks : split.sequence.length
    const saved = existsSync(path.join(out, "protocol.json"))
    return [
      `dry run of ${p.name}: nothing is trained or written`,
      `  ${names.length} method(s) x ${p.seeds.length} seed(s) = ${names.length * p.seeds.length} run(s): ${names.join(", ")}; seeds ${p.seeds.join(", ")}`,
      `  ${tasks} task(s); ${p.training.epochs} epoch(s) per task${p.training.batchesPerEpoch === undefined ? "" : ` of ${p.training.batchesPerEpoch} batch(es)`}; ` +
      `input ${p.training.height}x${p.training.width}; stages ${p.stages.map((s) => (s.kind === "custom" ? s.name : s.kind)).join(" -> ")}`,
      `  run folder ${out}: ${fresh ? "--fresh would delete it first" : saved ? "holds this run: it would resume after its last completed stage" : "new"}`,
      `  dataset folders: ${DataRoots.layoutsOf(p).length === 0 ? "none (synthetic world)" : "present"}`
    ].join("\n")
  })

/** true when a protocol file declares `kind: mdkt` (the image-to-video protocol of `@reidfx/video`). */
const isMdkt = (text: string): boolean => {
  try {
    return MdktProtocolFile.isMdktProtocolValue(YAML.parse(text))
  } catch {
    return false
  }
}

/** Runs an MDKT protocol file; `--methods` and `--epochs` belong to lifelong protocols and are refused here. */
const runMdkt = (
  file: string,
  flags: {
    readonly out: Option.Option<string>
    readonly fresh: boolean
    readonly methods: Option.Option<string>
    readonly seeds: Option.Option<string>
    readonly epochs: Option.Option<number>
    readonly printConfig?: boolean
    readonly dryRun?: boolean
    readonly mlflow?: Option.Option<string>
  }
): Effect.Effect<void, CliError.UserError> =>
  Effect.gen(function*() {
    if (Option.isSome(flags.methods) || Option.isSome(flags.epochs)) {
      return yield* userError("--methods and --epochs apply to lifelong protocols; an MDKT protocol sets its rows and steps in the file")
    }
    if (flags.printConfig === true || flags.dryRun === true || Option.isSome(flags.mlflow ?? Option.none())) {
      return yield* userError("--print-config, --dry-run and --mlflow apply to lifelong protocols for now; an MDKT run logs its own progress")
    }
    const seeds = Option.isSome(flags.seeds) ? yield* parseSeeds(flags.seeds.value) : undefined
    yield* Mdkt.runFile(file, {
      fresh: flags.fresh,
      ...(Option.isSome(flags.out) ? { out: flags.out.value } : {}),
      ...(seeds !== undefined ? { seeds } : {})
    }).pipe(
      Effect.mapError((e) => userError(e.message)),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  })

/**
 * Applies `--set key.path=value` overrides (value parsed as YAML, as `reidfx train --set`) to a lifelong protocol
 * file's text, then decodes it: e.g. `--set training.height=16 --set training.batchesPerEpoch=1` shrinks a real
 * protocol to a smoke run. An override that makes the protocol invalid is the usual decode error naming the key.
 */
export const parseWithOverrides = (text: string, file: string, sets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (sets.length === 0) return yield* ProtocolFile.parse(text, file).pipe(Effect.mapError((e) => userError(e.message)))
    const parsed = yield* Effect.try({ try: () => YAML.parse(text) as unknown, catch: (e) => userError(`${file}: not valid YAML / JSON: ${String(e)}`) })
    const merged = yield* RunConfig.override(parsed, sets).pipe(Effect.mapError((e) => userError(e.message)))
    return yield* ProtocolFile.decode(merged, `${file} with --set ${sets.join(" ")}`).pipe(Effect.mapError((e) => userError(e.message)))
  })

export const runCommand = Command.make(
  "run",
  {
    protocol: Argument.String("protocol").pipe(Argument.withDescription("A protocol file (.yaml or .json)")),
    ...runFlags,
    set: Flag.String("set").pipe(
      Flag.atLeast(0),
      Flag.withDescription("Override one key of a lifelong protocol: --set training.epochs=1 (value parsed as YAML; repeatable)")
    )
  },
  ({ protocol: file, set, ...flags }) =>
    Effect.gen(function*() {
      const text = yield* BoundedRead.readText(file).pipe(Effect.mapError((e) => userError(e.message)))
      if (isMdkt(text)) {
        if (set.length > 0) return yield* userError("--set applies to lifelong protocols; edit an MDKT protocol file instead")
        return yield* runMdkt(file, flags)
      }
      const protocol = yield* parseWithOverrides(text, file, set)
      yield* runProtocol(protocol, flags)
    }).pipe(Effect.provide(BackendFlag.layer))
).pipe(Command.withDescription("Run a declared protocol (lifelong ReID, or image-to-video MDKT with kind: mdkt; YAML or JSON) and write its reports"))
