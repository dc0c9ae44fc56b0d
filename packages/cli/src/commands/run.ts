/**
 * `reidfx run <protocol.yaml>`: runs any declared protocol (JSON or YAML) on the reidfx stack, with progress,
 * then prints the results tables and writes `results.json`, `report.md` and `report.html` into the run folder.
 * The file's declared `kind` (`lifelong` when absent, `mdkt`, ...) picks the entry of the protocol-kind registry
 * (`ProtocolKinds.ts`) that decodes and runs it; every kind resumes after its last completed stage.
 * `--set key.path=value` overrides a key of any kind before it is decoded.
 * @since 0.1.0
 */
import { Progress, type ProtocolKind, type Runner } from "@reidfx/continual"
import { BoundedRead } from "@reidfx/tensor"
import { type Protocol, ProtocolFile, RunConfig, Strategy } from "@reidfx/reid"
import { Effect, Option, References } from "effect"
import { Argument, CliError, Command, Flag } from "effect/cli"
import * as YAML from "yaml"
import * as BackendFlag from "../BackendFlag.ts"
import * as ProtocolKinds from "../ProtocolKinds.ts"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

const list = (text: string): ReadonlyArray<string> =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)

/** Parses `--seeds 0,1,2`. */
export const parseSeeds = (text: string): Effect.Effect<ReadonlyArray<number>, CliError.UserError> => {
  const values = list(text).map(Number)
  return values.length > 0 && values.every((v) => Number.isInteger(v) && v >= 0)
    ? Effect.succeed(values)
    : Effect.fail(userError(`--seeds: expected comma-separated non-negative integers, got "${text}"`))
}

/** The flags shared by `run` and `demo`. */
export const runFlags = {
  out: Flag.String("out").pipe(
    Flag.optional,
    Flag.withDescription("Run folder (default runs/<protocol name>); an interrupted run there resumes")
  ),
  fresh: Flag.Boolean("fresh").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Delete the run folder first instead of resuming")
  ),
  methods: Flag.String("methods").pipe(
    Flag.optional,
    Flag.withDescription(
      `Run only these methods (comma-separated names of the protocol's methods; built in: ${Object.keys(Strategy.builtins).join(", ")})`
    )
  ),
  seeds: Flag.String("seeds").pipe(
    Flag.optional,
    Flag.withDescription("Seeds to run instead of the protocol's (comma-separated)")
  ),
  epochs: Flag.Int("epochs").pipe(Flag.optional, Flag.withDescription("Epochs per task instead of the protocol's")),
  printConfig: Flag.Boolean("print-config").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Print the protocol as it would run (after --set, --seeds, --epochs; every default filled in) as YAML, and exit"
    )
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Check the protocol, its dataset folders and the run folder, say what would run, and exit (nothing trained or written)"
    )
  ),
  mlflow: Flag.String("mlflow").pipe(
    Flag.optional,
    Flag.withDescription(
      "Also log every step and evaluation to this MLflow file store (an mlruns folder; `mlflow ui --backend-store-uri <it>`)"
    )
  )
}

/** The shared flags as a run request of the protocol-kind registry. */
export const runRequest = (flags: {
  readonly out: Option.Option<string>
  readonly fresh: boolean
  readonly methods: Option.Option<string>
  readonly seeds: Option.Option<string>
  readonly epochs: Option.Option<number>
  readonly mlflow?: Option.Option<string>
  readonly printConfig?: boolean
  readonly dryRun?: boolean
}): Effect.Effect<ProtocolKind.RunRequest, CliError.UserError> =>
  Effect.gen(function* () {
    if (Option.isSome(flags.epochs) && flags.epochs.value < 1) return yield* userError("--epochs must be at least 1")
    const seeds = Option.isSome(flags.seeds) ? yield* parseSeeds(flags.seeds.value) : undefined
    return {
      fresh: flags.fresh,
      ...(Option.isSome(flags.out) ? { out: flags.out.value } : {}),
      ...(seeds === undefined ? {} : { seeds }),
      ...(Option.isSome(flags.methods) ? { methods: list(flags.methods.value) } : {}),
      ...(Option.isSome(flags.epochs) ? { epochs: flags.epochs.value } : {}),
      ...(flags.printConfig === true ? { printConfig: true } : {}),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
      ...(flags.mlflow !== undefined && Option.isSome(flags.mlflow) ? { mlflow: flags.mlflow.value } : {})
    }
  })

/** Runs a decoded lifelong protocol with the shared flags: progress on stdout, the table at the end. */
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
): Effect.Effect<Runner.RunResult | undefined, CliError.UserError> =>
  Effect.gen(function* () {
    const request = yield* runRequest(flags)
    return yield* ProtocolKinds.runLifelong(protocol, request).pipe(
      Effect.mapError((e) => userError(e.message)),
      Effect.provide(Progress.layerConsole()),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  })

/**
 * Applies `--set key.path=value` overrides (value parsed as YAML, as `reidfx train --set`) to a lifelong protocol
 * file's text, then decodes it: e.g. `--set training.height=16 --set training.batchesPerEpoch=1` shrinks a real
 * protocol to a smoke run. An override that makes the protocol invalid is the usual decode error naming the key.
 */
export const parseWithOverrides = (text: string, file: string, sets: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (sets.length === 0)
      return yield* ProtocolFile.parse(text, file).pipe(Effect.mapError((e) => userError(e.message)))
    const parsed = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (e) => userError(`${file}: not valid YAML / JSON: ${String(e)}`)
    })
    const merged = yield* RunConfig.override(parsed, sets).pipe(Effect.mapError((e) => userError(e.message)))
    return yield* ProtocolFile.decode(merged, `${file} with --set ${sets.join(" ")}`).pipe(
      Effect.mapError((e) => userError(e.message))
    )
  })

export const runCommand = Command.make(
  "run",
  {
    protocol: Argument.String("protocol").pipe(Argument.withDescription("A protocol file (.yaml or .json)")),
    ...runFlags,
    set: Flag.String("set").pipe(
      Flag.atLeast(0),
      Flag.withDescription(
        "Override one key of the protocol: --set training.epochs=1 (value parsed as YAML; repeatable)"
      )
    )
  },
  ({ protocol: file, set, ...flags }) =>
    Effect.gen(function* () {
      const text = yield* BoundedRead.readText(file).pipe(Effect.mapError((e) => userError(e.message)))
      const parsed = yield* Effect.try({
        try: () => YAML.parse(text) as unknown,
        catch: (e) => userError(`${file}: not valid YAML / JSON: ${String(e)}`)
      })
      const value =
        set.length === 0
          ? parsed
          : yield* RunConfig.override(parsed, set).pipe(Effect.mapError((e) => userError(e.message)))
      const source = set.length === 0 ? file : `${file} with --set ${set.join(" ")}`
      const request = yield* runRequest(flags)
      // the declared kind (lifelong when absent) picks the registry entry that decodes and runs the file
      yield* ProtocolKinds.run(value, source, request).pipe(Effect.mapError((e) => userError(e.message)))
    }).pipe(Effect.provide(BackendFlag.layer))
).pipe(
  Command.withDescription(
    `Run a declared protocol (its kind: ${[...ProtocolKinds.registry.kinds.keys()].join(", ")}; lifelong when absent; YAML or JSON) and write its reports`
  )
)
