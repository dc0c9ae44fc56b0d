/**
 * The MDKT protocol as data (Wang, Wang and Li, "Image-to-Video Re-Identification via Mutual Discriminative
 * Knowledge Transfer", the second seed document): a Schema-described value that is also a JSON or YAML file.
 *
 * A protocol declares the world (a synthetic video world or a video dataset on disk), the clip model, the two
 * stages, and the rows of the two ablation tables:
 *
 * - **stage 1 (`teacher`)**: the teacher is trained video-to-video on clips of `frames` frames (L_CE + L_TR);
 * - **stage 2 (`student`)**: teacher and student train together, the student on clips of `student.frames`
 *   frames (1: image-to-video) and the teacher on `teacherFrames`, with `L_TR + L_MKD + L_PD + L_MTCL` (each
 *   term switchable) and the teacher `frozen`, trained `withoutMutual` terms, or `mutual`;
 * - **Table 1** rows switch terms (TR, TCL, TR+TCL, MKD+PD+TCL, TR+MKD+PD, TR+MKD+TCL, TR+PD+TCL, ALL);
 * - **Table 2** rows switch the teacher's mode (frozen teacher / without mutual / with mutual).
 *
 * ```yaml
 * name: mdkt-synthetic
 * kind: mdkt
 * data: { world: { kind: synthetic, objects: persons, trainIdentities: 48, testIdentities: 48 }, height: 64, width: 32 }
 * model: { backbone: { kind: reference, stemWidth: 16, widths: [16, 32, 64, 128] }, embedding: 128 }
 * teacher: { frames: 4, epochs: 8 }
 * student: { frames: 1, teacherFrames: 4, epochs: 8, mode: mutual }
 * tables: { table1: seed, table2: seed }
 * seeds: [0, 1, 2]
 * ```
 * @since 0.1.0
 */
import { ModelConfig, WeightsInit } from "@reidfx/model"
import { ConfigFields } from "@reidfx/tensor"
import { ClipData, TemporalPooling, VideoEvaluation, VideoWorld } from "@reidfx/video"
import { Schema } from "effect"

const { NonNegative, NonNegativeInt, Positive, PositiveInt, Probability, withDefault } = ConfigFields
const { temporalPoolingKinds } = TemporalPooling
const { FrameSampling } = ClipData

// ---------------------------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------------------------

// The world (`data`: `DataSpec`, `SyntheticVideoWorld`, `VideoLayoutDataset`) is `@reidfx/video`'s `VideoWorld`
// schemas, the frame sampling `ClipData.FrameSampling`, the evaluation `VideoEvaluation.EvaluationSpec`.

// ---------------------------------------------------------------------------------------------------------------
// Model and training
// ---------------------------------------------------------------------------------------------------------------

/** The clip model of teacher and student (same architecture; the classifier size comes from the data). @category models */
export const ModelSpec = Schema.Struct({
  backbone: withDefault(ModelConfig.BackboneConfig, {
    kind: "reference",
    stemWidth: 16,
    widths: [16, 32, 64, 128],
    blocks: [1, 1, 1, 1],
    lastStride: 1
  }),
  spatialPooling: withDefault(Schema.Literals(["avg", "max", "gem"]), "avg"),
  embedding: Schema.optionalKey(PositiveInt),
  temporalPooling: withDefault(Schema.Literals(temporalPoolingKinds), "mean"),
  neck: withDefault(Schema.Literals(["bnneck", "none"]), "bnneck"),
  /** Initial weights of the frame network of teacher and student (`@reidfx/model` WeightsInit; a path imports the backbone). */
  weights: Schema.optionalKey(WeightsInit.WeightsInit)
})
export type ModelSpec = typeof ModelSpec.Type

/** An optimizer (each model of a stage has its own). @category models */
export const OptimizerSpec = Schema.Struct({
  kind: withDefault(Schema.Literals(["adam", "sgd"]), "adam"),
  learningRate: withDefault(Positive, 1e-3),
  /** L2 weight decay added to the gradient (PyTorch's `weight_decay`). */
  weightDecay: withDefault(NonNegative, 5e-4),
  momentum: withDefault(Probability, 0.9)
})
export type OptimizerSpec = typeof OptimizerSpec.Type

const defaultOptimizer = { kind: "adam" as const, learningRate: 1e-3, weightDecay: 5e-4, momentum: 0.9 }

/** P identities x K tracklets per batch (the PK sampler over tracklets). @category models */
export const BatchSpec = Schema.Struct({
  identities: withDefault(PositiveInt, 8),
  instances: withDefault(PositiveInt, 4)
})
export type BatchSpec = typeof BatchSpec.Type

/**
 * L_TR, the supervised loss of each network: batch-hard triplet loss (Hermans et al. 2017) with `margin`, plus
 * an identity cross-entropy with label smoothing weighted by `crossEntropy` (0 switches it off). @category models
 */
export const TripletSpec = Schema.Struct({
  weight: withDefault(NonNegative, 1),
  margin: withDefault(NonNegative, 0.3),
  crossEntropy: withDefault(NonNegative, 1),
  labelSmoothing: withDefault(Probability, 0.1)
})
export type TripletSpec = typeof TripletSpec.Type

/** L_MKD: mutual logits distillation, `tau1^2 [KL(y_t || y_s) + KL(y_s || y_t)]`. @category models */
export const MutualKdSpec = Schema.Struct({
  weight: withDefault(NonNegative, 1),
  temperature: withDefault(Positive, 4)
})
export type MutualKdSpec = typeof MutualKdSpec.Type

/**
 * L_PD: pairwise distance transfer, `sum_{i<j} (D_t[i,j] - D_s[i,j])^2` (`sum`, the seed's) or the mean over the
 * `B(B-1)/2` pairs (`mean`, our default: the same gradient direction, `B(B-1)/2` times smaller, so one weight
 * suits every batch size). @category models
 */
export const PairwiseDistanceSpec = Schema.Struct({
  weight: withDefault(NonNegative, 1),
  reduction: withDefault(Schema.Literals(["mean", "sum"]), "mean")
})
export type PairwiseDistanceSpec = typeof PairwiseDistanceSpec.Type

/**
 * L_MTCL: the mutual triplet contrast loss over hard triplets: `sum KL(P^t_apn || P^s_apn)` (and the reverse
 * for the teacher) with `p_apn = exp(-d_ap/tau2) / (exp(-d_ap/tau2) + exp(-d_an/tau2))`; the hard triplets are
 * mined from the `mining` model's distances. @category models
 */
export const TripletContrastSpec = Schema.Struct({
  weight: withDefault(NonNegative, 1),
  temperature: withDefault(Positive, 1),
  mining: withDefault(Schema.Literals(["teacher", "student"]), "teacher"),
  /** `sum` over triplets (the seed's Eq. 4) or `mean` (our default, for the same reason as L_PD's). */
  reduction: withDefault(Schema.Literals(["mean", "sum"]), "mean")
})
export type TripletContrastSpec = typeof TripletContrastSpec.Type

/** The options of the four terms of stage 2 (which of them are on is decided per row). @category models */
export const TermsSpec = Schema.Struct({
  tr: withDefault(TripletSpec, { weight: 1, margin: 0.3, crossEntropy: 1, labelSmoothing: 0.1 }),
  mkd: withDefault(MutualKdSpec, { weight: 1, temperature: 4 }),
  pd: withDefault(PairwiseDistanceSpec, { weight: 1, reduction: "mean" }),
  mtcl: withDefault(TripletContrastSpec, { weight: 1, temperature: 1, mining: "teacher", reduction: "mean" })
})
export type TermsSpec = typeof TermsSpec.Type

/** The names of the switchable terms. @category models */
export const TermName = Schema.Literals(["tr", "mkd", "pd", "mtcl"])
export type TermName = typeof TermName.Type

/** How the teacher takes part in stage 2 (the rows of the seed's Table 2). @category models */
export const TeacherMode = Schema.Literals(["frozen", "withoutMutual", "mutual"])
export type TeacherMode = typeof TeacherMode.Type

/** Stage 1: the V2V teacher. @category models */
export const TeacherStage = Schema.Struct({
  frames: withDefault(PositiveInt, 4),
  sampling: withDefault(FrameSampling, "restrictedRandom"),
  epochs: withDefault(PositiveInt, 8),
  /** Batches per epoch; default: every training tracklet about once. */
  batchesPerEpoch: Schema.optionalKey(PositiveInt),
  batch: withDefault(BatchSpec, { identities: 8, instances: 4 }),
  optimizer: withDefault(OptimizerSpec, defaultOptimizer),
  tr: withDefault(TripletSpec, { weight: 1, margin: 0.3, crossEntropy: 1, labelSmoothing: 0.1 }),
  /** Initial weights of the teacher's frame network, in place of `model.weights` (e.g. a ReID-trained teacher). */
  weights: Schema.optionalKey(WeightsInit.WeightsInit)
})
export type TeacherStage = typeof TeacherStage.Type

/** Stage 2: teacher and student. @category models */
export const StudentStage = Schema.Struct({
  /** Frames the student sees per clip (1: image-to-video). They are a random subset of the teacher's clip. */
  frames: withDefault(PositiveInt, 1),
  /** Frames the teacher sees per clip in stage 2. */
  teacherFrames: withDefault(PositiveInt, 4),
  sampling: withDefault(FrameSampling, "restrictedRandom"),
  epochs: withDefault(PositiveInt, 8),
  batchesPerEpoch: Schema.optionalKey(PositiveInt),
  batch: withDefault(BatchSpec, { identities: 8, instances: 4 }),
  optimizer: withDefault(OptimizerSpec, defaultOptimizer),
  /** The teacher's optimizer in stage 2 (modes `withoutMutual` and `mutual`). */
  teacherOptimizer: withDefault(OptimizerSpec, { ...defaultOptimizer, learningRate: 1e-4 }),
  /** The student starts from random weights (`fresh`) or from a copy of the stage-1 teacher (`teacher`). */
  init: withDefault(Schema.Literals(["fresh", "teacher"]), "fresh"),
  /** The terms' options. */
  terms: withDefault(TermsSpec, {
    tr: { weight: 1, margin: 0.3, crossEntropy: 1, labelSmoothing: 0.1 },
    mkd: { weight: 1, temperature: 4 },
    pd: { weight: 1, reduction: "mean" },
    mtcl: { weight: 1, temperature: 1, mining: "teacher", reduction: "mean" }
  }),
  /** The terms that are on when a row does not say (the seed's full objective). */
  enabled: withDefault(Schema.Array(TermName), ["tr", "mkd", "pd", "mtcl"]),
  mode: withDefault(TeacherMode, "mutual"),
  /**
   * In modes `withoutMutual` and `mutual` the teacher keeps its own L_TR in stage 2 even in rows that switch the
   * student's TR off (the rows ablate the student's objective and the transfer terms, not the teacher's supervision).
   */
  teacherKeepsTr: withDefault(Schema.Boolean, true)
})
export type StudentStage = typeof StudentStage.Type

// ---------------------------------------------------------------------------------------------------------------
// Tables and evaluation
// ---------------------------------------------------------------------------------------------------------------

/** One row of an ablation table: a label, the terms that are on, the teacher's mode. @category models */
export const RowSpec = Schema.Struct({
  label: Schema.NonEmptyString,
  terms: Schema.optionalKey(Schema.Array(TermName).check(Schema.isMinLength(1))),
  mode: Schema.optionalKey(TeacherMode)
})
export type RowSpec = typeof RowSpec.Type

/** `seed`: the rows of the seed's table; `none`: skip the table; or the rows in full. @category models */
export const TableRows = Schema.Union([
  Schema.Literals(["seed", "none"]),
  Schema.Array(RowSpec).check(Schema.isMinLength(1))
])
export type TableRows = typeof TableRows.Type

/** The two ablation tables. @category models */
export const TablesSpec = Schema.Struct({
  table1: withDefault(TableRows, "seed"),
  table2: withDefault(TableRows, "seed")
})
export type TablesSpec = typeof TablesSpec.Type

/** A whole MDKT protocol. @category models */
export const MdktProtocol = Schema.Struct({
  name: Schema.NonEmptyString.check(Schema.isPattern(/^[A-Za-z0-9_.-]+$/)),
  kind: Schema.Literal("mdkt"),
  description: Schema.optionalKey(Schema.String),
  data: VideoWorld.DataSpec,
  model: withDefault(ModelSpec, {
    backbone: { kind: "reference", stemWidth: 16, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1], lastStride: 1 },
    spatialPooling: "avg",
    temporalPooling: "mean",
    neck: "bnneck"
  }),
  teacher: withDefault(TeacherStage, {
    frames: 4,
    sampling: "restrictedRandom",
    epochs: 8,
    batch: { identities: 8, instances: 4 },
    optimizer: defaultOptimizer,
    tr: { weight: 1, margin: 0.3, crossEntropy: 1, labelSmoothing: 0.1 }
  }),
  student: withDefault(StudentStage, {
    frames: 1,
    teacherFrames: 4,
    sampling: "restrictedRandom",
    epochs: 8,
    batch: { identities: 8, instances: 4 },
    optimizer: defaultOptimizer,
    teacherOptimizer: { ...defaultOptimizer, learningRate: 1e-4 },
    init: "fresh",
    terms: {
      tr: { weight: 1, margin: 0.3, crossEntropy: 1, labelSmoothing: 0.1 },
      mkd: { weight: 1, temperature: 4 },
      pd: { weight: 1, reduction: "mean" },
      mtcl: { weight: 1, temperature: 1, mining: "teacher", reduction: "mean" }
    },
    enabled: ["tr", "mkd", "pd", "mtcl"],
    mode: "mutual",
    teacherKeepsTr: true
  }),
  tables: withDefault(TablesSpec, { table1: "seed", table2: "seed" }),
  evaluation: withDefault(VideoEvaluation.EvaluationSpec, {
    frames: 0,
    queryFrame: "first",
    teacher: true,
    batchSize: 64
  }),
  seeds: withDefault(Schema.Array(NonNegativeInt).check(Schema.isMinLength(1)), [0, 1, 2])
})
export type MdktProtocol = typeof MdktProtocol.Type
/** The protocol as written in a file (defaulted keys may be omitted). */
export type MdktProtocolInput = typeof MdktProtocol.Encoded

/** The rows of the seed's Table 1 (all with the mutual teacher). @category constants */
export const seedTable1: ReadonlyArray<RowSpec> = [
  { label: "TR", terms: ["tr"] },
  { label: "TCL", terms: ["mtcl"] },
  { label: "TR+TCL", terms: ["tr", "mtcl"] },
  { label: "MKD+PD+TCL", terms: ["mkd", "pd", "mtcl"] },
  { label: "TR+MKD+PD", terms: ["tr", "mkd", "pd"] },
  { label: "TR+MKD+TCL", terms: ["tr", "mkd", "mtcl"] },
  { label: "TR+PD+TCL", terms: ["tr", "pd", "mtcl"] },
  { label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }
]

/** The rows of the seed's Table 2 (all terms on). @category constants */
export const seedTable2: ReadonlyArray<RowSpec> = [
  { label: "freeze teacher", mode: "frozen" },
  { label: "without mutual", mode: "withoutMutual" },
  { label: "with mutual", mode: "mutual" }
]

/** A row with its defaults resolved from the student stage. @category models */
export interface ResolvedRow {
  readonly label: string
  readonly terms: ReadonlyArray<TermName>
  readonly mode: TeacherMode
  /** Rows with the same key train the same thing (run once, reported in both tables). */
  readonly key: string
}

const termOrder: ReadonlyArray<TermName> = ["tr", "mkd", "pd", "mtcl"]

/** The key of a (terms, mode) configuration. @category utils */
export const configurationKey = (terms: ReadonlyArray<TermName>, mode: TeacherMode): string =>
  `${termOrder.filter((t) => terms.includes(t)).join("+")}@${mode}`

/** Resolves a table's rows (`seed` gives the seed's rows, `none` none). @category utils */
export const resolveRows = (
  rows: TableRows,
  defaults: StudentStage,
  seedRows: ReadonlyArray<RowSpec>
): ReadonlyArray<ResolvedRow> => {
  const list = rows === "none" ? [] : rows === "seed" ? seedRows : rows
  return list.map((r) => {
    const terms = termOrder.filter((t) => (r.terms ?? defaults.enabled).includes(t))
    const mode = r.mode ?? defaults.mode
    return { label: r.label, terms, mode, key: configurationKey(terms, mode) }
  })
}
