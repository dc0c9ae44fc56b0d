/**
 * A lifelong ReID protocol as data: where the tasks come from, the model and how each task is trained, the
 * stages run on every task, when to evaluate, the methods to compare and the seeds. A protocol is a
 * Schema-described value, so the same thing is written in TypeScript or as a JSON / YAML file
 * (see `ProtocolFile`), and an unknown key or a bad value is a decode error that names the key and what is
 * allowed.
 *
 * ```yaml
 * name: lifelong-synthetic
 * data:
 *   split: { kind: intraDomain, tasks: 4, unseenIdentities: 30 }
 *   world: { kind: synthetic, identities: 150, cameras: 4 }
 * stages: [{ kind: train }, { kind: evaluate }, { kind: snapshot }]
 * methods: [joint, bot-ft, lwf, dmml-ft, dwpp, dwopp]
 * seeds: [0, 1, 2]
 * ```
 * @since 0.1.0
 */
import { RunnableProtocol } from "@reidfx/continual"
import { LayoutCatalog, Synthetic } from "@reidfx/data"
import { BackboneCatalog, WeightsInit } from "@reidfx/model"
import { Registry } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import { MemorySpec, RegularizerSpec } from "./baselines/BaselineSpec.ts"
import { CompanionSpec } from "./krkc/Companion.ts"
import { ConsolidationSpec } from "./lstkc/Consolidation.ts"
import {
  IdentityCount,
  NonNegative,
  NonNegativeInt,
  Positive,
  PositiveInt,
  Probability,
  withDefault
} from "./ProtocolFields.ts"
import * as SamplerCatalog from "./SamplerCatalog.ts"
import * as StrategyCatalog from "./StrategyCatalog.ts"
import * as TermCatalog from "./TermCatalog.ts"

// ---------------------------------------------------------------------------------------------------------------
// Data: the world the tasks are cut from
// ---------------------------------------------------------------------------------------------------------------

/** The built-in synthetic ReID world (`@reidfx/data`), deterministic by its seed. @category models */
export const SyntheticWorld = Schema.Struct({
  kind: Schema.Literal("synthetic"),
  /** What the identities are. */
  objects: Synthetic.WorldFields.fields.objects,
  /** Number of identities in the world (tasks and the unseen set are cut from them). */
  identities: withDefault(IdentityCount, 150),
  /** 2 to 9, as the world (`@reidfx/data` `Synthetic.WorldFields`, the one schema of the world's fields). */
  cameras: Synthetic.WorldFields.fields.cameras,
  /** Images of each identity per camera. */
  imagesPerCamera: Synthetic.WorldFields.fields.imagesPerCamera,
  /** Identities of the train split (the others are test identities); default: half. */
  trainIdentities: Schema.optionalKey(IdentityCount),
  /** The difficulty preset of `@reidfx/data`'s synthetic world. */
  difficulty: Synthetic.WorldFields.fields.difficulty,
  /** The world's own seed (fixed across the protocol's seeds, which vary training only). */
  seed: Synthetic.WorldFields.fields.seed,
  /**
   * The world's domain (`@reidfx/data`'s `synthetic/Domain.ts`): a preset name (`market`, `duke`, ...) or free
   * parameters over a preset. When set, its difficulty replaces `difficulty`.
   */
  domain: Schema.optionalKey(Synthetic.Domain.DomainInput)
})
export type SyntheticWorld = typeof SyntheticWorld.Type

/**
 * The image dataset layouts `@reidfx/data` reads (derived from its `LayoutCatalog`: `market1501`,
 * `dukeMTMCReID`, `msmt17`, `cuhk03NP`, `cuhk03NPDetected`, `veri776`, `folders`, the LReID datasets,
 * `occludedDuke`, ...). The spellings of earlier versions (`dukemtmcReid`, `cuhk03`, `cuhk03detected`, `generic`,
 * `cuhksysu`, `sensereid`) are accepted and decode to these names. @category models
 */
export const LayoutName = LayoutCatalog.ImageLayoutName
export type LayoutName = typeof LayoutName.Type

/** A dataset on disk in one of the real layouts. @category models */
export const LayoutDataset = Schema.Struct({
  kind: Schema.Literal("layout"),
  layout: LayoutName,
  root: Schema.NonEmptyString
})
export type LayoutDataset = typeof LayoutDataset.Type

/** A source of identities. @category models */
export const World = Schema.Union([SyntheticWorld, LayoutDataset])
export type World = typeof World.Type

/**
 * One dataset cut into class-disjoint tasks (the intra-domain benchmarks of the DwoPP paper: e.g. Market-1501
 * as a base task of 76 identities then 9 tasks of 75). The train identities are cut into tasks; the test
 * identities are cut into the tasks' seen test sets in the same proportions, except `unseenIdentities` of them,
 * never trained on, which form the unseen test set (`@reidfx/data`'s `TaskSplit.intraDomain`). @category models
 */
export const IntraDomainSplit = Schema.Struct({
  kind: Schema.Literal("intraDomain"),
  world: World.pipe(
    Schema.withDecodingDefaultTypeKey(
      Effect.succeed<World>({
        kind: "synthetic" as const,
        objects: "persons" as const,
        identities: 150,
        cameras: 4,
        imagesPerCamera: 4,
        difficulty: "medium" as const,
        seed: 0
      })
    )
  ),
  tasks: withDefault(PositiveInt.check(Schema.isBetween({ minimum: 1, maximum: 100 })), 4),
  /** Train identities of the first (base) task; default: an equal share. The others share the rest equally. */
  baseIdentities: Schema.optionalKey(PositiveInt),
  /** Test identities held out as the unseen test set. */
  unseenIdentities: withDefault(PositiveInt, 30),
  /** Identities are shuffled (seeded by the synthetic world's seed, 0 for a dataset) before cutting, or cut in identity order. */
  order: withDefault(Schema.Literals(["shuffled", "sorted"]), "shuffled")
})
export type IntraDomainSplit = typeof IntraDomainSplit.Type

/** One dataset of an inter-domain sequence, truncated to its first `identities` identities (LReID). */
export const DomainTask = Schema.Struct({
  name: Schema.NonEmptyString,
  world: World,
  identities: IdentityCount,
  /**
   * Test identities kept: default `identities` (the first N query identities and their gallery images); `all`:
   * the dataset's whole query and gallery, distractors included, as LReID evaluates (an unseen set then ignores
   * `identities`).
   */
  testIdentities: Schema.optionalKey(Schema.Union([IdentityCount, Schema.Literal("all")]))
})
export type DomainTask = typeof DomainTask.Type

/** A sequence of datasets, one task each (the LReID benchmark of Pu et al. 2021). @category models */
export const InterDomainSplit = Schema.Struct({
  kind: Schema.Literal("interDomain"),
  sequence: Schema.Array(DomainTask).check(Schema.isMinLength(1)),
  /** Datasets never trained on, merged into the unseen test set. */
  unseen: Schema.Array(DomainTask).check(Schema.isMinLength(1))
})
export type InterDomainSplit = typeof InterDomainSplit.Type

/** How the tasks are made. @category models */
export const Split = Schema.Union([IntraDomainSplit, InterDomainSplit])
export type Split = typeof Split.Type

// ---------------------------------------------------------------------------------------------------------------
// Model and training
// ---------------------------------------------------------------------------------------------------------------

/** The network trained on every task (`@reidfx/model`), with a classifier over every task's identities. @category models */
export const ModelSpec = Schema.Struct({
  /** A backbone of `@reidfx/model`'s `BackboneCatalog` by kind (`reference`, `resnet18/34/50`, `mobilenetv2`, `osnet`). */
  backbone: withDefault(Registry.nameSchema<BackboneCatalog.Name>(BackboneCatalog.builtin), "reference"),
  /** Stem and stage widths, and blocks per stage, of the reference backbone. */
  stemWidth: withDefault(PositiveInt, 16),
  widths: withDefault(Schema.Array(PositiveInt).check(Schema.isMinLength(1)), [16, 32, 64, 128]),
  blocks: withDefault(Schema.Array(PositiveInt).check(Schema.isMinLength(1)), [1, 1, 1, 1]),
  /** A linear embedding after pooling (absent: the pooled features). */
  embedding: Schema.optionalKey(PositiveInt),
  pooling: withDefault(Schema.Literals(["avg", "max", "gem"]), "avg"),
  neck: withDefault(Schema.Literals(["bnneck", "none"]), "bnneck"),
  /** Stride of the backbone's last stage (default 2; 1: the ReID "last stride" trick of BoT, Luo et al. 2019, more spatial detail). */
  lastStride: Schema.optionalKey(Schema.Literals([1, 2])),
  /** IBN-a blocks in layers 1-3 of a ResNet (Pan et al. 2018). */
  ibn: Schema.optionalKey(Schema.Boolean),
  /** Initial weights imported from a file (`@reidfx/model` WeightsInit: a path imports the backbone). */
  weights: Schema.optionalKey(WeightsInit.WeightsInit)
})
export type ModelSpec = typeof ModelSpec.Type

/** The optimizer of each task (a fresh optimizer state at each task start). @category models */
export const OptimizerSpec = Schema.Struct({
  kind: withDefault(Schema.Literals(["adam", "adamw", "sgd"]), "adam"),
  learningRate: withDefault(Positive, 3.5e-4),
  weightDecay: withDefault(NonNegative, 5e-4),
  momentum: withDefault(Probability, 0.9),
  /** Linear warmup, in epochs of the first task. */
  warmupEpochs: withDefault(NonNegativeInt, 0)
})
export type OptimizerSpec = typeof OptimizerSpec.Type

/** How each task is trained. @category models */
export const TrainingSpec = Schema.Struct({
  epochs: withDefault(PositiveInt, 4),
  /** Batches per epoch; default: enough to see each training image about once. */
  batchesPerEpoch: Schema.optionalKey(PositiveInt),
  optimizer: OptimizerSpec.pipe(
    Schema.withDecodingDefaultTypeKey(
      Effect.succeed({
        kind: "adam" as const,
        learningRate: 3.5e-4,
        weightDecay: 5e-4,
        momentum: 0.9,
        warmupEpochs: 0
      })
    )
  ),
  height: withDefault(PositiveInt, 64),
  width: withDefault(PositiveInt, 32),
  /** Random horizontal flip probability. */
  flip: withDefault(Probability, 0.5),
  /** Zero padding before the random crop back to the input size (0: no crop). */
  pad: withDefault(NonNegativeInt, 4),
  /** Random erasing probability (Zhong et al. 2020). */
  erasing: withDefault(Probability, 0),
  /**
   * In a run folder, a task's training writes a checkpoint every this many optimizer steps and at each epoch end
   * (0: at epoch ends only), so a killed run resumes inside the task and loses at most that much work.
   */
  checkpointEverySteps: withDefault(NonNegativeInt, 25)
})
export type TrainingSpec = typeof TrainingSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// Methods: samplers and terms
// ---------------------------------------------------------------------------------------------------------------

/** How batches are drawn from a task (derived from `SamplerCatalog`, one entry per file under `samplers/`). @category models */
export const SamplerSpec = Schema.Union(SamplerCatalog.specSchemas(SamplerCatalog.entries))
/** P identities x K instances (the PK sampler of the "bag of tricks"). @category models */
export const PKSamplerSpec = SamplerSpec.members[0]
/** N-way K-shot episodes with Q queries per class (DMML, DwPP, DwoPP). @category models */
export const EpisodicSamplerSpec = SamplerSpec.members[1]
export type SamplerSpec = typeof SamplerSpec.Type

/**
 * One weighted loss term of a method's objective; `loss` picks it. The union is derived from the term catalog
 * (`TermCatalog`, one entry per file under `terms/`: `crossEntropy`, `tripletBatchHard`, `dmml`, `lwf`, `dwpp`,
 * `dwopp`, `darkRank`, `aka`, `metric`), each entry giving its options and their defaults. @category models
 */
export const TermSpec = Schema.Union(TermCatalog.specSchemas(TermCatalog.entries))
export type TermSpec = typeof TermSpec.Type
/** The loss names a method's term can declare (the `loss` field of a {@link TermSpec}). */
export type TermLoss = TermSpec["loss"]

/** The terms that read the old model, so cannot run on the first task (from the catalog's `needs.oldModel`). */
export const oldModelTerms: ReadonlySet<TermLoss> = TermCatalog.oldModelNames(
  TermCatalog.builtin
) as ReadonlySet<TermLoss>

/**
 * The terms left out entirely on the first task. AKA is not among them: its plasticity half trains the
 * knowledge graph from the first task on, and only its stability half (which reads the old model) waits.
 */
export const onlyOldModelTerms: ReadonlySet<TermLoss> = TermCatalog.onlyOldModelNames(
  TermCatalog.builtin
) as ReadonlySet<TermLoss>

/** The terms that need an episodic batch. */
export const episodicTerms: ReadonlySet<TermLoss> = TermCatalog.episodicNames(
  TermCatalog.builtin
) as ReadonlySet<TermLoss>

const methodSpecOf = <T extends Schema.Top>(term: T) =>
  Schema.Struct({
    name: Schema.NonEmptyString.check(Schema.isPattern(/^[A-Za-z0-9_.-]+$/)),
    /** The name shown in tables (default: `name`). */
    label: Schema.optionalKey(Schema.NonEmptyString),
    sampler: SamplerSpec,
    terms: Schema.Array(term).check(Schema.isMinLength(1)),
    firstTask: Schema.optionalKey(Schema.Literals(["withoutOldModelTerms"])),
    joint: withDefault(Schema.Boolean, false),
    /** An exemplar memory replayed with each task (rehearsal; the budget is the only old data allowed). */
    rehearsal: Schema.optionalKey(MemorySpec),
    /** A weight regulariser anchored at the previous tasks' parameters (EWC, MAS, SI). */
    regularizer: Schema.optionalKey(RegularizerSpec),
    /** A fusion of the new and old models after each task from the second on (LSTKC's consolidation). */
    consolidation: Schema.optionalKey(ConsolidationSpec),
    /** A second network trained beside the model in the same step, fused into it after tasks (KRKC's knowledge network). */
    companion: Schema.optionalKey(CompanionSpec)
  })

/**
 * A method: a sampler and the terms of its objective. `firstTask` must say what happens on the first task
 * when a term needs the old model. `joint: true` trains once on the union of every task (the upper bound).
 * @category models
 */
export const MethodSpec = methodSpecOf(TermSpec)
export type MethodSpec = typeof MethodSpec.Type

/** The names of the built-in methods (derived from `StrategyCatalog`, one entry per file under `strategies/`). @category models */
export const BuiltinMethod = Registry.nameSchema<StrategyCatalog.Name>(StrategyCatalog.builtin)
export type BuiltinMethod = typeof BuiltinMethod.Type

/**
 * A built-in strategy with options: `{ use: ewc, name: ewc-10, options: { lambda: 10 } }` (derived from
 * `StrategyCatalog`: one member per strategy, its `options` decoded by the strategy's options Schema, see
 * `strategies/LifelongStrategy.ts`). @category models
 */
export const StrategyUse = Schema.Union(StrategyCatalog.useSchemas(StrategyCatalog.entries))
export type StrategyUse = typeof StrategyUse.Type

/** A method by built-in name, declared in full, or a strategy with options. @category models */
export const MethodRef = Schema.Union([BuiltinMethod, MethodSpec, ...StrategyUse.members])
export type MethodRef = typeof MethodRef.Type

/** The name of a method reference (a use's `name`, default its strategy's name), without resolving it. */
export const methodName = (ref: MethodRef | string): string =>
  typeof ref === "string" ? ref : "use" in ref ? (ref.name ?? ref.use) : ref.name

// ---------------------------------------------------------------------------------------------------------------
// Stages and evaluation
// ---------------------------------------------------------------------------------------------------------------

// The stages of a task (`train`, `snapshot`, `evaluate`, `custom`): the engine's vocabulary, `@reidfx/continual`'s
// `RunnableProtocol`, re-exported one by one (each with its doc comment) under the names this module has always used.

/** Train the current model on the current task with the method's objective (`RunnableProtocol.TrainStageSpec`). @category models */
export const TrainStageSpec = RunnableProtocol.TrainStageSpec
/** Freeze a copy of the model: the next task's old model (`RunnableProtocol.SnapshotStageSpec`). @category models */
export const SnapshotStageSpec = RunnableProtocol.SnapshotStageSpec
/** Evaluate on the seen tasks' test sets and the unseen one (`RunnableProtocol.EvaluateStageSpec`). @category models */
export const EvaluateStageSpec = RunnableProtocol.EvaluateStageSpec
/** A user-defined stage, registered by name when the protocol is run (`RunnableProtocol.CustomStageSpec`). @category models */
export const CustomStageSpec = RunnableProtocol.CustomStageSpec
/** One stage of a task (`RunnableProtocol.StageSpec`). @category models */
export const StageSpec = RunnableProtocol.StageSpec
/** A decoded {@link StageSpec}. @category models */
export type StageSpec = RunnableProtocol.StageSpec

/** When the evaluate stage measures, and what. @category models */
export const EvaluationSpec = Schema.Struct({
  /** After which tasks (0-based) evaluate stages run: every task, only the last, or a list. */
  after: withDefault(
    Schema.Union([Schema.Literals(["everyTask", "lastTask"]), Schema.Array(NonNegativeInt)]),
    "everyTask"
  ),
  /** Also evaluate the untrained model before the first task (row "init" of the ledger). */
  initial: withDefault(Schema.Boolean, true),
  /** CMC ranks to report (Rank-1 is always reported). */
  ranks: withDefault(Schema.Array(PositiveInt).check(Schema.isMinLength(1)), [1, 5, 10]),
  /** Evaluation batch size. */
  batchSize: withDefault(PositiveInt, 128),
  /**
   * A named evaluation setting: `reidfx` (the retrieval embedding as it is, euclidean distance, non-interpolated
   * AP) or `authors` (the DwoPP authors' `eval.py`: features of the image and its horizontal flip summed, L2
   * normalised, and the trapezoid AP of their `utils.compute_map`, the official Market-1501 one). The three
   * fields below override the setting one by one.
   */
  setting: withDefault(Schema.Literals(["reidfx", "authors"]), "reidfx"),
  flip: Schema.optionalKey(Schema.Boolean),
  normalize: Schema.optionalKey(Schema.Boolean),
  averagePrecision: Schema.optionalKey(Schema.Literals(["nonInterpolated", "trapezoid"]))
})
export type EvaluationSpec = typeof EvaluationSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// Pretraining
// ---------------------------------------------------------------------------------------------------------------

/**
 * A realistic start: before task 1 the backbone and neck are trained once on a separate source world (the
 * stand-in for ImageNet weights), with the strong baseline's objective (CE + batch-hard triplet, PK sampler),
 * then shared by every method and seed. The weights are cached on disk under a key that hashes this spec, the
 * model spec and the input size, so they are computed once and reused. The classifier is not transferred.
 * @category models
 */
export const PretrainingSpec = Schema.Struct({
  world: World,
  epochs: withDefault(PositiveInt, 10),
  /** Batches per epoch; default: enough to see each source image about once. */
  batchesPerEpoch: Schema.optionalKey(PositiveInt),
  learningRate: withDefault(Positive, 1e-3),
  /** The seed of the pretraining run (fixed: every seed of the protocol starts from the same weights). */
  seed: withDefault(NonNegativeInt, 0)
})
export type PretrainingSpec = typeof PretrainingSpec.Type

// ---------------------------------------------------------------------------------------------------------------
// The protocol
// ---------------------------------------------------------------------------------------------------------------

const protocolOf = <M extends Schema.Top>(methodRef: M) =>
  Schema.Struct({
    name: Schema.NonEmptyString.check(Schema.isPattern(/^[A-Za-z0-9_.-]+$/)),
    description: Schema.optionalKey(Schema.String),
    data: Schema.Struct({ split: Split }),
    model: ModelSpec.pipe(
      Schema.withDecodingDefaultTypeKey(
        Effect.succeed({
          backbone: "reference" as const,
          stemWidth: 16,
          widths: [16, 32, 64, 128],
          blocks: [1, 1, 1, 1],
          pooling: "avg" as const,
          neck: "bnneck" as const
        })
      )
    ),
    training: TrainingSpec.pipe(
      Schema.withDecodingDefaultTypeKey(
        Effect.succeed({
          epochs: 4,
          optimizer: { kind: "adam" as const, learningRate: 3.5e-4, weightDecay: 5e-4, momentum: 0.9, warmupEpochs: 0 },
          height: 64,
          width: 32,
          flip: 0.5,
          pad: 4,
          erasing: 0,
          checkpointEverySteps: 25
        })
      )
    ),
    stages: withDefault(Schema.Array(StageSpec).check(Schema.isMinLength(1)), [
      { kind: "train" },
      { kind: "evaluate" },
      { kind: "snapshot" }
    ]),
    evaluation: EvaluationSpec.pipe(
      Schema.withDecodingDefaultTypeKey(
        Effect.succeed({
          after: "everyTask" as const,
          initial: true,
          ranks: [1, 5, 10],
          batchSize: 128,
          setting: "reidfx" as const
        })
      )
    ),
    /** A pretraining stage shared by every method and seed (see {@link PretrainingSpec}). */
    pretraining: Schema.optionalKey(PretrainingSpec),
    methods: Schema.Array(methodRef).check(Schema.isMinLength(1)),
    seeds: withDefault(Schema.Array(NonNegativeInt).check(Schema.isMinLength(1)), [0])
  })

/** A whole lifelong protocol. @category models */
export const Protocol = protocolOf(MethodRef)
export type Protocol = typeof Protocol.Type
/** The protocol as written in a file (defaults may be omitted). */
export type ProtocolInput = typeof Protocol.Encoded

// ---------------------------------------------------------------------------------------------------------------
// The vocabulary of a user's catalogs, typed
// ---------------------------------------------------------------------------------------------------------------

/** A built-in term's spec as a protocol writes it (defaults may be left out). @category models */
export type TermInput = typeof TermSpec.Encoded

/**
 * The spec of the terms of entries `E` (decoded): `TermSpecOf<typeof focal>`; `TermSpec | TermSpecOf<typeof
 * focal>` types a method of the built-in catalog extended with `focal`. @category models
 */
export type TermSpecOf<E> = TermCatalog.ObjectiveTerm.SpecOf<E>

/** The spec of the terms of entries `E` as a protocol writes them. @category models */
export type TermInputOf<E> = TermCatalog.ObjectiveTerm.InputOf<E>

/** A method whose terms are of type `T` (`MethodSpecOf<TermSpec>` is {@link MethodSpec}). @category models */
export type MethodSpecOf<T> = Omit<MethodSpec, "terms"> & { readonly terms: ReadonlyArray<T> }

type MethodInput = Extract<ProtocolInput["methods"][number], { readonly terms: unknown }>

/** A method declaration as a protocol writes it, its terms of type `In`. @category models */
export type MethodInputOf<In> = Omit<MethodInput, "terms"> & { readonly terms: ReadonlyArray<In> }

/** A strategy with options as a protocol writes it, any catalog's (`{ use, name?, label?, options? }`). @category models */
export interface StrategyUseInput {
  readonly use: string
  readonly name?: string
  readonly label?: string
  readonly options?: { readonly [option: string]: unknown }
}

/**
 * A protocol as written in TypeScript for catalogs whose terms are written `In` (see `Catalogs.extend`,
 * `ProtocolFile.makeWith`): a user's term type-checks in a method's `terms` as a built-in one does; a method is
 * a strategy's name, a strategy with options, or a declaration. @category models
 */
export type ProtocolInputOf<In> = Omit<ProtocolInput, "methods"> & {
  readonly methods: ReadonlyArray<string | StrategyUseInput | MethodInputOf<In>>
}

/** The catalogs a protocol's vocabulary comes from (see `Catalogs`). @category models */
export interface Vocabulary {
  readonly terms: Registry.Registry<TermCatalog.ObjectiveTerm.Any>
  readonly strategies: Registry.Registry<StrategyCatalog.LifelongStrategy.LifelongStrategy>
}

/**
 * The protocol Schema of extended catalogs: the term and method names are theirs (a user's entries decode with
 * their own options). Its values have the built-in `Protocol` type; a user entry's specs are typed by the entry.
 * @category schemas
 */
export const schemaOf = (vocabulary: Vocabulary): typeof Protocol => {
  if (vocabulary.terms === TermCatalog.builtin && vocabulary.strategies === StrategyCatalog.builtin) return Protocol
  const term = Schema.Union(vocabulary.terms.entries.map((e) => TermCatalog.ObjectiveTerm.specSchema(e)))
  const uses = vocabulary.strategies.entries.map((e) => StrategyCatalog.LifelongStrategy.useSchema(e))
  return protocolOf(Schema.Union([Registry.nameSchema(vocabulary.strategies), methodSpecOf(term), ...uses])) as never
}
