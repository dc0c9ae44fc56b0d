/**
 * The configuration of a training run (`reidfx train`): a Schema-validated value read from JSON or YAML and
 * overridable key by key. An unknown key or a bad value is a {@link RunConfigError} that names the key (its full
 * path) and what is allowed (the expected values, or the keys that exist at that place).
 * @since 0.1.0
 */
import { Synthetic } from "@reidfx/data"
import { Catalog } from "@reidfx/metric"
import { ModelConfig, WeightsInit } from "@reidfx/model"
import { BoundedRead, ConfigAliases, ConfigFields, ConfigIssues } from "@reidfx/tensor"
import { Console, Effect, Schema, type SchemaAST } from "effect"
import * as YAML from "yaml"
import { DatasetSpec } from "./baseline/DatasetConfig.ts"
import { RunConfigError } from "./errors.ts"
import { LearningRate, OptimizerConfig as OptimizerConfigs } from "@reidfx/train"

const { OptimizerConfig } = OptimizerConfigs
const { Decay, Warmup } = LearningRate

const defType = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))
/** A nested struct whose missing key decodes from `{}` (so its own defaults apply). */
const defEmpty = <S extends Schema.Top>(schema: S) =>
  schema.pipe(Schema.withDecodingDefaultKey<S>(Effect.succeed({} as S["Encoded"])))
const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
/** A positive count bounded so that every allocation it drives stays finite (e.g. `identities: 1e12` is refused). */
const Count = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
const Probability = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/** The built-in synthetic world (see `@reidfx/data` Synthetic). */
export const DataConfig = Schema.Struct({
  /** What the world shows, `persons` or `vehicles`, as in protocol files (`kind: person | vehicle` is its deprecated name). */
  objects: Synthetic.WorldFields.fields.objects,
  /** Total identities; the first half (or `trainIdentities`) train, the others are the query/gallery test set. */
  identities: Count(4, 100_000).pipe(defType(200)),
  trainIdentities: Schema.optionalKey(Count(1, 100_000)),
  /** 2 to 9, as the world (`@reidfx/data` `Synthetic.WorldFields`, the one schema of the world's fields). */
  cameras: Synthetic.WorldFields.fields.cameras,
  imagesPerCamera: Synthetic.WorldFields.fields.imagesPerCamera,
  /**
   * The world's difficulty (the presets of the one world schema, `Synthetic.WorldFields`). `reidfx train` defaults
   * to `hard`, whether or not a `data` section is given: the `medium` default of protocol files is learned to ~86%
   * mAP by the default run, too close to perfect to compare settings, and a default that changed when a user adds
   * `--set data.identities=...` would silently change the task.
   */
  difficulty: ConfigFields.withDefault(Synthetic.WorldFields.DifficultyName, "hard"),
  /** Input height and width (the world is rendered at this size). */
  height: Count(16, 1024).pipe(defType(64)),
  width: Count(8, 1024).pipe(defType(32)),
  /** Seed of the world (default: the run's seed). */
  seed: Schema.optionalKey(Schema.Int)
})

/**
 * Training augmentations (torchreid's: flip, pad + random crop, random erasing). Random erasing defaults to 0:
 * BoT's 0.5 is for 120-epoch runs; on the short default run it cost 8 points of mAP after 72 steps and 18 after
 * 144 (measured on the synthetic world); set `augment.erasing=0.5` for long runs.
 */
export const AugmentConfig = Schema.Struct({
  flip: Probability.pipe(defType(0.5)),
  pad: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(defType(4)),
  erasing: Probability.pipe(defType(0))
})

const { classes: _classes, ...headFields } = ModelConfig.HeadConfig.fields

/** The model; the classifier size comes from the data. */
export const RunModelConfig = Schema.Struct({
  backbone: ModelConfig.BackboneConfig.pipe(
    Schema.withDecodingDefaultKey(Effect.succeed({ kind: "reference" } as const))
  ),
  head: defEmpty(Schema.Struct(headFields)),
  /** Initial weights imported from a file (`@reidfx/model` WeightsInit: a path imports the backbone). */
  weights: Schema.optionalKey(WeightsInit.WeightsInit)
})

/** The strong baseline's objective: CE with label smoothing on the logits + batch-hard triplet on the features. */
export const LossConfig = Schema.Struct({
  labelSmoothing: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1)).pipe(defType(0.1)),
  tripletMargin: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)).pipe(defType(0.3)),
  crossEntropyWeight: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)).pipe(defType(1)),
  tripletWeight: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)).pipe(defType(1)),
  /**
   * More metric losses by name (`@reidfx/metric`'s `Catalog`: `multiSimilarity`, `arcFace`, `proxyAnchor`, ...),
   * each `{ name, weight, options }`; class-parameter losses take the classes and embedding size of the model.
   */
  terms: Schema.Array(
    Schema.Struct({
      name: Catalog.TermName,
      weight: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)).pipe(defType(1)),
      options: Schema.Record(Schema.String, Schema.Unknown).pipe(defType({}))
    })
  ).pipe(defType([]))
})

/**
 * The learning-rate schedule. BoT's Adam 3.5e-4 is for an ImageNet-pretrained ResNet-50; trained from scratch for
 * ~180 steps, the reference net learns far more at 1e-2 (measured on the synthetic world, medium preset, 72 steps:
 * mAP 8.0% at 3.5e-4, 23.3% at 1e-3, 45.8% at 3e-3, 69.4% at 1e-2, all stable).
 */
export const RunScheduleConfig = Schema.Struct({
  /** The base learning rate, as protocol files name it (`baseLr` is its deprecated name). */
  learningRate: Schema.Number.check(Schema.isGreaterThan(0)).pipe(defType(1e-2)),
  warmup: Warmup.pipe(Schema.withDecodingDefaultKey(Effect.succeed({ epochs: 1, factor: 0.1 }))),
  decay: Decay.pipe(
    Schema.withDecodingDefaultKey(Effect.succeed({ kind: "multistep", milestones: [7, 9] } as typeof Decay.Encoded))
  )
})

/** A training run. Every key has a default: `{}` is the default run of `reidfx train`. */
export const RunConfig = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[\w.-]+$/)).pipe(defType("baseline")),
  seed: Schema.Int.pipe(defType(0)),
  data: defEmpty(DataConfig),
  /**
   * A dataset on disk instead of the synthetic world (`{ layout, root }` or `{ manifest }`, see `DatasetConfig`):
   * its train split trains, its query / gallery splits evaluate; images are resized to `data.height x data.width`.
   */
  dataset: Schema.optionalKey(DatasetSpec),
  model: defEmpty(RunModelConfig),
  /** PK sampling: P identities x K images per batch. */
  sampler: defEmpty(Schema.Struct({ p: Count(1, 10_000).pipe(defType(16)), k: Count(1, 10_000).pipe(defType(4)) })),
  augment: defEmpty(AugmentConfig),
  epochs: Count(1, 100_000).pipe(defType(10)),
  optimizer: OptimizerConfig.pipe(
    Schema.withDecodingDefaultKey(Effect.succeed({ kind: "adam", weightDecay: 5e-4 } as typeof OptimizerConfig.Encoded))
  ),
  schedule: defEmpty(RunScheduleConfig),
  loss: defEmpty(LossConfig),
  /** Clip gradients to this global norm. */
  clipNorm: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  /** Output folder: results, checkpoint and weights go to `<output>/<name>/`. */
  output: Schema.String.pipe(defType("runs")),
  /** Also checkpoint every N steps (always at each epoch end). */
  checkpointEverySteps: Schema.optionalKey(PositiveInt),
  /** Continue from `<output>/<name>/checkpoint.ckpt` if it exists. */
  resume: Schema.Boolean.pipe(defType(false)),
  evalBatchSize: Count(1, 65_536).pipe(defType(128))
})
export type RunConfig = typeof RunConfig.Type
/** A run config as written in a file or code, before defaults are applied. */
export type RunConfigInput = typeof RunConfig.Encoded

/** The keys allowed at a path of an input (through unions: the members its `kind` selects, else all): `ConfigIssues.keysAt`. */
export const keysAt = (
  ast: SchemaAST.AST,
  path: ReadonlyArray<PropertyKey>,
  input: unknown = undefined
): ReadonlyArray<string> => ConfigIssues.keysAt(ast, input, path)

/**
 * Decodes a run config, reporting every issue with its key path, the value and what is allowed (`@reidfx/tensor`'s
 * `ConfigIssues`, the explainer of every config dialect).
 */
export const decode = (input: unknown, source = "config"): Effect.Effect<RunConfig, RunConfigError> =>
  readAliases(input, source).pipe(Effect.flatMap((current) => decodeCurrent(current, source)))

/**
 * The deprecated names of this dialect, read as the names every dialect uses: `schedule.baseLr` is
 * `schedule.learningRate`, `data.kind: person | vehicle` is `data.objects: persons | vehicles`.
 */
export const aliases: ReadonlyArray<ConfigAliases.Alias> = [
  { at: ["schedule"], old: "baseLr", name: "learningRate" },
  { at: ["data"], old: "kind", name: "objects", values: { person: "persons", vehicle: "vehicles" } }
]

/** Reads the deprecated names as the current ones, one warning line per name on stderr (so `--print-config` output stays YAML); a conflict is an error. */
const readAliases = (input: unknown, source: string): Effect.Effect<unknown, RunConfigError> =>
  Effect.gen(function* () {
    const applied = ConfigAliases.apply(input, aliases)
    if (applied.conflicts.length > 0) return yield* new RunConfigError({ source, detail: applied.conflicts.join("; ") })
    for (const w of applied.warnings) yield* Console.error(`warning: ${source}: ${w}`)
    return applied.input
  })

const decodeCurrent = (input: unknown, source: string): Effect.Effect<RunConfig, RunConfigError> =>
  Schema.decodeUnknownEffect(RunConfig)(input, { onExcessProperty: "error", errors: "all" }).pipe(
    Effect.mapError((error) => {
      const issues = ConfigIssues.explainAll(RunConfig.ast, input, error.issue).map((issue) => {
        const last = String(issue.path).split(".").pop() ?? ""
        // a learning-rate key anywhere but schedule.learningRate: say where the learning rate lives
        return issue.message.startsWith("unknown key") && /^(lr|learningRate|learning_rate|baseLr)$/.test(last)
          ? { ...issue, message: `${issue.message} (the learning rate is schedule.learningRate)` }
          : issue
      })
      return new RunConfigError({ source, detail: ConfigIssues.lines(issues, "") })
    }),
    Effect.flatMap((config) => checkAcrossKeys(config, source))
  )

/** Checks that keys agree with each other (before any world is built or anything written). */
const checkAcrossKeys = (config: RunConfig, source: string): Effect.Effect<RunConfig, RunConfigError> => {
  const d = config.data
  const train = d.trainIdentities ?? Math.floor(d.identities / 2)
  if (train > d.identities) {
    return Effect.fail(
      new RunConfigError({ source, detail: `data.trainIdentities: ${train} exceeds data.identities (${d.identities})` })
    )
  }
  if (config.sampler.p > train) {
    return Effect.fail(
      new RunConfigError({
        source,
        detail: `sampler.p: ${config.sampler.p} identities per batch, but the training split has only ${train} (data.identities=${d.identities}); lower sampler.p or raise data.identities`
      })
    )
  }
  return Effect.succeed(config)
}

/** Parses JSON or YAML text (YAML is a superset of JSON). */
export const parseText = (text: string, source: string): Effect.Effect<unknown, RunConfigError> =>
  Effect.try({
    try: () => YAML.parse(text) as unknown,
    catch: (e) =>
      new RunConfigError({ source, detail: `not valid YAML or JSON: ${e instanceof Error ? e.message : String(e)}` })
  })

/**
 * Reads a config file (`.json`, `.yaml`, `.yml`) into an undecoded object: a regular file of at most 16 MiB (a
 * FIFO or a device is refused), holding a mapping (a scalar or a list is refused).
 */
export const readFile = (file: string): Effect.Effect<unknown, RunConfigError> =>
  BoundedRead.readText(file).pipe(
    Effect.mapError((e) => new RunConfigError({ source: file, detail: e.reason })),
    Effect.flatMap((text) => parseText(text, file)),
    Effect.flatMap((v) =>
      v === null || v === undefined
        ? Effect.succeed({})
        : typeof v === "object" && !Array.isArray(v)
          ? Effect.succeed(v)
          : Effect.fail(
              new RunConfigError({
                source: file,
                detail: `expected a mapping of keys (e.g. "epochs: 4"), got ${Array.isArray(v) ? "a list" : `the ${typeof v} ${JSON.stringify(v)}`}`
              })
            )
    )
  )

/**
 * Applies `key.path=value` overrides (value parsed as YAML: numbers, booleans, lists, objects, or a string) to
 * an undecoded config object.
 */
export const override = (
  input: unknown,
  assignments: ReadonlyArray<string>,
  /**
   * The defaults (the encoded default config). `--set a.b=v` on an object the input does not hold starts
   * from that object's defaulted `kind` (`--set optimizer.weightDecay=0` keeps the default `kind: adam`).
   */
  defaults?: unknown
): Effect.Effect<unknown, RunConfigError> =>
  Effect.suspend(() => {
    const root = structuredClone((input ?? {}) as Record<string, unknown>)
    for (const a of assignments) {
      const eq = a.indexOf("=")
      if (eq <= 0) return Effect.fail(new RunConfigError({ source: "--set", detail: `"${a}" is not key.path=value` }))
      const keys = a.slice(0, eq).split(".")
      let value: unknown
      try {
        value = YAML.parse(a.slice(eq + 1))
      } catch {
        value = a.slice(eq + 1)
      }
      let node: Record<string, unknown> = root
      let fallback: unknown = defaults
      for (const k of keys.slice(0, -1)) {
        fallback = ConfigIssues.valueAt(fallback, [k])
        const next = node[k]
        if (next === undefined || next === null || typeof next !== "object") {
          const kind = ConfigIssues.valueAt(fallback, ["kind"])
          node[k] = typeof kind === "string" ? { kind } : {}
        }
        node = node[k] as Record<string, unknown>
      }
      node[keys[keys.length - 1]!] = value
    }
    return Effect.succeed(root)
  })

/** File (optional) + overrides, decoded. */
export const load = (options: {
  readonly file?: string | undefined
  readonly set?: ReadonlyArray<string>
}): Effect.Effect<RunConfig, RunConfigError> =>
  Effect.gen(function* () {
    const base = options.file === undefined ? {} : yield* readFile(options.file)
    const merged = yield* override(base, options.set ?? [], defaults())
    return yield* decode(merged, options.file ?? "flags")
  })

/** The decoded config as JSON-friendly data (for results files and checkpoints). */
export const encode = (config: RunConfig): unknown => Schema.encodeSync(RunConfig)(config)

/** The default run (`{}` decoded), encoded: what `--print-config` shows for a run with no file and no flags. */
export const defaults = (): unknown => encode(Schema.decodeUnknownSync(RunConfig)({}))

const flatten = (value: unknown, prefix: string, out: Map<string, string>): Map<string, string> => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, out)
  } else {
    out.set(prefix, JSON.stringify(value))
  }
  return out
}

/**
 * The keys whose values differ between two encoded configs (`resume` and `output` aside: they say where and
 * how to run, not what), e.g. `["schedule.learningRate: 0.01 -> 0.1"]`. A stored config written with the
 * deprecated names ({@link aliases}) is read with the current ones.
 */
export const differences = (stored: unknown, current: unknown): ReadonlyArray<string> => {
  const a = flatten(ConfigAliases.apply(stored, aliases).input, "", new Map())
  const b = flatten(current, "", new Map())
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k !== "resume" && k !== "output").sort()
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k}: ${a.get(k) ?? "(unset)"} -> ${b.get(k) ?? "(unset)"}`)
}
