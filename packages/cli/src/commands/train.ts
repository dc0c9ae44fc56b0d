/**
 * `reidfx train`: trains the strong baseline (CE with label smoothing + batch-hard triplet, BNNeck, PK
 * sampler, warmup) on the built-in synthetic world, or on a dataset on disk (`--layout market1501 --root DIR`,
 * `--manifest file.csv`: the run config's `dataset` key), optionally from initial weights (`--weights`: the
 * config's `model.weights`), and prints the untrained and trained Rank-1/5/10, mAP and
 * mINP side by side. The run is described by a config (`--config run.yaml|json`, every key optional) and
 * overridden by flags (`--epochs 4`, `--set data.identities=100 --set optimizer.kind=sgd`); an unknown key or
 * a bad value is an error naming the key and what is allowed. Writes `results.json`, `config.json`,
 * `checkpoint.ckpt` and the weights (`model/`) to `<output>/<name>/`.
 * @since 0.1.0
 */
import { Progress, Provenance } from "@reidfx/train"
import { Backend } from "@reidfx/tensor"
import { DatasetConfig, RunConfig, StrongBaseline } from "@reidfx/reid"
import { Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { existsSync } from "node:fs"
import * as path from "node:path"
import * as YAML from "yaml"
import * as BackendFlag from "../BackendFlag.ts"

/** The flags of `reidfx train`. */
export const trainFlags = {
  config: Flag.String("config").pipe(
    Flag.optional,
    Flag.withDescription("Run configuration file (.yaml, .yml or .json); every key has a default")
  ),
  set: Flag.String("set").pipe(
    Flag.atLeast(0),
    Flag.withDescription("Override one key: --set data.identities=100 (value parsed as YAML; repeatable)")
  ),
  name: Flag.String("name").pipe(
    Flag.optional,
    Flag.withDescription("Run name (output folder <output>/<name>, default baseline)")
  ),
  epochs: Flag.Int("epochs").pipe(Flag.optional, Flag.withDescription("Training epochs")),
  seed: Flag.Int("seed").pipe(Flag.optional, Flag.withDescription("Seed of the run (data, initialisation, sampling)")),
  output: Flag.String("output").pipe(Flag.optional, Flag.withDescription("Output folder (default runs)")),
  resume: Flag.Boolean("resume").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Continue from <output>/<name>/checkpoint.ckpt if it exists")
  ),
  layout: Flag.Literals("layout", DatasetConfig.layoutNames).pipe(
    Flag.optional,
    Flag.withDescription("Train on a dataset on disk in this layout (with --root) instead of the synthetic world")
  ),
  root: Flag.String("root").pipe(Flag.optional, Flag.withDescription("The dataset folder (with --layout)")),
  manifest: Flag.String("manifest").pipe(
    Flag.optional,
    Flag.withDescription("Train on a CSV manifest (path,id,cam[,split]) instead of the synthetic world")
  ),
  weights: Flag.String("weights").pipe(
    Flag.optional,
    Flag.withDescription(
      "Initial weights: a .safetensors / .npz state dict (backbone imported) or a reidfx weights folder (model.weights)"
    )
  ),
  printConfig: Flag.Boolean("print-config").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Print the run configuration (file, flags and --set merged; every default filled in) as YAML, and exit"
    )
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Check the configuration, the output folder and the backend, say what would run, and exit (nothing trained or written)"
    )
  ),
  mlflow: Flag.String("mlflow").pipe(
    Flag.optional,
    Flag.withDescription("Also log every step and evaluation to this MLflow file store (an mlruns folder)")
  )
}

/** The `dataset=...` override of --layout / --root / --manifest (paths resolved against the working directory). */
const datasetSet = (flags: {
  readonly layout: Option.Option<DatasetConfig.LayoutName>
  readonly root: Option.Option<string>
  readonly manifest: Option.Option<string>
}) => {
  const fail = (m: string) => Effect.fail(new CliError.UserError({ cause: m, userMessage: m }))
  if (Option.isSome(flags.manifest)) {
    return Option.isSome(flags.layout) || Option.isSome(flags.root)
      ? fail("give either --manifest or --layout with --root, not both")
      : Effect.succeed([`dataset=${JSON.stringify({ manifest: path.resolve(flags.manifest.value) })}`])
  }
  if (Option.isSome(flags.layout) !== Option.isSome(flags.root))
    return fail("give both --layout and --root (the dataset's folder)")
  return Effect.succeed(
    Option.isSome(flags.layout) && Option.isSome(flags.root)
      ? [`dataset=${JSON.stringify({ layout: flags.layout.value, root: path.resolve(flags.root.value) })}`]
      : []
  )
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

export const trainCommand = Command.make("train", trainFlags, (flags) =>
  Effect.gen(function* () {
    const sets = [
      ...Option.toArray(Option.map(flags.name, (v) => `name=${v}`)),
      ...Option.toArray(Option.map(flags.epochs, (v) => `epochs=${v}`)),
      ...Option.toArray(Option.map(flags.seed, (v) => `seed=${v}`)),
      ...Option.toArray(Option.map(flags.output, (v) => `output=${JSON.stringify(v)}`)),
      ...(flags.resume ? ["resume=true"] : []),
      ...Option.toArray(Option.map(flags.weights, (v) => `model.weights=${JSON.stringify(v)}`)),
      ...(yield* datasetSet(flags)),
      ...flags.set
    ]
    const config = yield* RunConfig.load({ file: Option.getOrUndefined(flags.config), set: sets })
    if (flags.printConfig) return yield* Console.log(YAML.stringify(RunConfig.encode(config)).trimEnd())
    if (flags.dryRun) {
      const out = path.resolve(config.output, config.name)
      const info = yield* Backend.Backend.pipe(Effect.provide(BackendFlag.layer))
      const held = existsSync(path.join(out, "checkpoint.ckpt")) || existsSync(path.join(out, "results.json"))
      return yield* Console.log(
        [
          `dry run of "${config.name}": nothing is trained or written`,
          `  ${config.epochs} epoch(s) of PK batches ${config.sampler.p}x${config.sampler.k} on ${config.data.identities} synthetic identities (${config.data.height}x${config.data.width}); ` +
            `${config.model.backbone.kind}; ${config.optimizer.kind}, lr ${config.schedule.learningRate}`,
          `  backend ${info.name} (${info.threads} thread(s))`,
          `  output ${out}: ${held ? (config.resume ? "holds a run: it would resume" : "holds a run: refused without --resume") : "new"}`,
          `  config hash ${Provenance.configHash(RunConfig.encode(config))}`
        ].join("\n")
      )
    }
    const job = Effect.gen(function* () {
      const info = yield* Backend.Backend
      yield* Console.log(
        `reidfx train "${config.name}": strong baseline on ${config.dataset === undefined ? "the synthetic world" : "manifest" in config.dataset ? config.dataset.manifest : `${config.dataset.layout} ${config.dataset.root}`}, backend ${info.name} (${info.threads} thread(s)), seed ${config.seed}`
      )
      const r = yield* StrongBaseline.run(
        config,
        Option.match(flags.mlflow, { onNone: () => ({}), onSome: (mlflow) => ({ mlflow }) })
      )
      yield* Console.log("")
      yield* Console.log(StrongBaseline.table(r.untrained, r.trained))
      yield* Console.log("")
      const t = r.training
      yield* Console.log(
        `trained ${t.epochs} epochs (${t.steps} steps${t.resumedAt > 0 ? `, resumed at step ${t.resumedAt}` : ""}): ${t.imagesPerSecond.toFixed(1)} images/s, ${t.epochSeconds.toFixed(1)} s/epoch; ` +
          `final losses ${Object.entries(t.lastLosses)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(", ")}`
      )
      yield* Console.log(
        `mAP ${pct(r.untrained.mAP)} -> ${pct(r.trained.mAP)}, Rank-1 ${pct(r.untrained.rank1)} -> ${pct(r.trained.rank1)}; wall time ${r.wallSeconds.toFixed(1)} s`
      )
      yield* Console.log(
        `results, checkpoint and weights in ${r.outputDir}; history in ${r.outputDir}/history, TensorBoard: tensorboard --logdir ${r.outputDir}/tensorboard`
      )
    })
    yield* job.pipe(Effect.provide(BackendFlag.layer), Effect.provideService(Progress.Progress, Progress.terminal()))
  }).pipe(
    Effect.catchTags({
      RunConfigError: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      InvalidOption: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      NonFiniteLoss: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      StepFailed: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      OutputError: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      CheckpointError: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message })),
      BackendUnavailable: (e) => Effect.fail(new CliError.UserError({ cause: e, userMessage: e.message }))
    })
  )
).pipe(
  Command.withDescription(
    "Train the strong ReID baseline on the built-in synthetic world or a dataset on disk (--layout/--root, --manifest), from --weights, and compare untrained vs trained scores"
  )
)
