/**
 * The `parts` protocol (`kind: parts`, run by `reidfx run`): part-aligned person ReID on the synthetic world, as
 * the third seed describes it. It trains, per seed,
 *
 * - **AlignedReID** (Zhang et al. 2017, "AlignedReID: Surpassing Human-Level Performance in Person
 *   Re-Identification"): two models with a local branch learn from each other (deep mutual learning on the
 *   logits' classes is left to the identity loss; *metric* mutual learning on the global and on the local
 *   distance matrices, `metricMutual` + `localMetricMutual`), each with the identity cross-entropy (label
 *   smoothing) and the global + local hard triplet `alignedTriplet` (hard pairs mined by the global distance);
 *   each model is evaluated by the global distance, the local (aligned shortest-path) distance, and
 *   `global + localWeight * local` (the paper's combined distance);
 * - **PCB** (Sun et al. 2018, "Beyond Part Models: Person Retrieval with Refined Part Pooling"): uniform
 *   horizontal parts with a classifier each (`partCrossEntropy`, plus a batch-hard triplet on the global
 *   features), optionally refined part pooling, evaluated by the concatenated parts (`pcbDescriptor`) and, for
 *   comparison, by its global features; with `attributes: true` an attribute head is trained jointly (APR, Lin et
 *   al.: `attributeBce`, DeepMAR weighting by default) on the world's per-identity attribute labels and scored by
 *   mA on the query identities.
 *
 * ```yaml
 * name: parts-synthetic
 * kind: parts
 * world: { identities: 60, cameras: 3, imagesPerCamera: 4, seed: 1 }
 * training: { epochs: 12, stepsPerEpoch: 10, identities: 8, instances: 4 }
 * seeds: [0]
 * ```
 *
 * Every key has a default (the committed `protocols/aligned-parts-synthetic.yaml` writes them out).
 * @since 0.1.0
 */
import { Synthetic } from "@reidfx/data"
import { ConfigFields, ConfigIssues } from "@reidfx/tensor"
import { ModelConfig } from "@reidfx/model"
import { Data, Effect, Schema } from "effect"
import * as YAML from "yaml"

const { NonNegative, Positive, PositiveInt, Probability, withDefault } = ConfigFields

/** A struct's value with every key defaulted. */
const defaults = <S extends Schema.Top>(schema: S): S["Type"] =>
  Schema.decodeUnknownSync(schema as never)({}) as S["Type"]

/** The synthetic person world the models are trained and evaluated on (train / test identities disjoint). */
export const PartsWorld = Schema.Struct({
  /** Identities in all; the first half train, the rest are queries and gallery. */
  identities: withDefault(ConfigFields.Count(4, 100_000), 60),
  cameras: withDefault(Synthetic.WorldFields.Cameras, 3),
  camerasPerIdentity: Synthetic.WorldFields.fields.camerasPerIdentity,
  imagesPerCamera: Synthetic.WorldFields.fields.imagesPerCamera,
  difficulty: Synthetic.WorldFields.fields.difficulty,
  /** The world's own seed (fixed across the protocol's seeds, which vary initialisation and sampling). */
  seed: withDefault(ConfigFields.NonNegativeInt, 1)
})
export type PartsWorld = typeof PartsWorld.Type

/** Training of every model: PK batches, Adam. */
export const PartsTraining = Schema.Struct({
  height: withDefault(PositiveInt, 64),
  width: withDefault(PositiveInt, 32),
  epochs: withDefault(PositiveInt, 12),
  stepsPerEpoch: withDefault(PositiveInt, 10),
  /** P identities x K images per batch. */
  identities: withDefault(PositiveInt, 8),
  instances: withDefault(PositiveInt, 4),
  learningRate: withDefault(Positive, 1e-3),
  weightDecay: withDefault(NonNegative, 5e-4)
})
export type PartsTraining = typeof PartsTraining.Type

/** The AlignedReID pair (see the module doc). */
export const AlignedSpec = Schema.Struct({
  /** Global embedding size (BNNeck head). */
  embedding: withDefault(PositiveInt, 64),
  /** Channels of the local branch's stripe features. */
  localChannels: withDefault(PositiveInt, 32),
  /** How the local branch pools each row: `avg` (the reproduction's `Model.py`) or `max` (the paper). */
  localPooling: withDefault(Schema.Literals(["avg", "max"]), "avg"),
  labelSmoothing: withDefault(Probability, 0.1),
  globalMargin: withDefault(NonNegative, 0.3),
  localMargin: withDefault(NonNegative, 0.3),
  /** Weight of the local hard triplet (the reproduction's default is 0; the paper trains both). */
  localWeight: withDefault(NonNegative, 1),
  /** Weights of the metric mutual terms (0 switches mutual learning off: two independent models). */
  mutualGlobal: withDefault(NonNegative, 1),
  mutualLocal: withDefault(NonNegative, 1),
  /** Weight of the local distance in the combined evaluation distance `global + w * local`. */
  combinedLocalWeight: withDefault(NonNegative, 1)
})
export type AlignedSpec = typeof AlignedSpec.Type

/** The PCB model (see the module doc). */
export const PcbSpec = Schema.Struct({
  embedding: withDefault(PositiveInt, 64),
  parts: withDefault(PositiveInt, 4),
  channels: withDefault(PositiveInt, 32),
  /** Refined part pooling (RPP): a part classifier softly assigns feature-map cells to the parts. */
  refined: withDefault(Schema.Boolean, false),
  tripletMargin: withDefault(NonNegative, 0.3),
  /** Train an attribute head on the world's attribute labels and report its mA. */
  attributes: withDefault(Schema.Boolean, true),
  /** `deepmar`: weights by the attributes' positive ratios (DeepMAR); `none`: APR's plain mean. */
  attributeWeighting: withDefault(Schema.Literals(["deepmar", "none"]), "deepmar"),
  attributeWeight: withDefault(NonNegative, 1)
})
export type PcbSpec = typeof PcbSpec.Type

/** The pose-guided model (`PoseGuided.ts`): keypoint-guided parts from the world's per-image keypoints. */
export const PoseSpec = Schema.Struct({
  /** Train and report it (off by default: one more model per seed). */
  enabled: withDefault(Schema.Boolean, false),
  embedding: withDefault(PositiveInt, 64),
  /** Channels of each reduced part (as PCB's `channels`). */
  channels: withDefault(PositiveInt, 32),
  /** Train a classifier per part with PCB's part cross-entropy. */
  partClassifiers: withDefault(Schema.Boolean, true),
  /** Box margin around a part's keypoints, a fraction of the image height. */
  margin: withDefault(NonNegative, 0.05),
  labelSmoothing: withDefault(NonNegative, 0.1),
  tripletMargin: withDefault(NonNegative, 0.3)
})
export type PoseSpec = typeof PoseSpec.Type

/** The `parts` protocol. @category models */
export const PartsProtocol = Schema.Struct({
  name: Schema.NonEmptyString,
  kind: Schema.Literal("parts"),
  world: withDefault(PartsWorld, defaults(PartsWorld)),
  training: withDefault(PartsTraining, defaults(PartsTraining)),
  /** The backbone of every model (default: the small reference ResNet of the examples). */
  backbone: withDefault(
    ModelConfig.BackboneConfig,
    Schema.decodeUnknownSync(ModelConfig.BackboneConfig)({
      kind: "reference",
      stemWidth: 16,
      widths: [16, 32, 64],
      blocks: [1, 1, 1]
    })
  ),
  aligned: withDefault(AlignedSpec, defaults(AlignedSpec)),
  pcb: withDefault(PcbSpec, defaults(PcbSpec)),
  pose: withDefault(PoseSpec, defaults(PoseSpec)),
  seeds: withDefault(Schema.Array(ConfigFields.NonNegativeInt).check(Schema.isMinLength(1)), [0])
})
export type PartsProtocol = typeof PartsProtocol.Type
/** A parts protocol as written in a file or code, before defaults are applied. */
export type PartsProtocolInput = typeof PartsProtocol.Encoded

/** A `parts` protocol file is not valid: every issue with its key path. @category errors */
export class PartsProtocolDecodeError extends Data.TaggedError("PartsProtocolDecodeError")<{
  readonly source: string
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>
}> {
  override get message(): string {
    return (
      `invalid parts protocol (${this.source}):\n` + this.issues.map((i) => `  - at ${i.path}: ${i.message}`).join("\n")
    )
  }
}

/** Decodes a protocol value (defaults filled in); unknown keys are errors. @category decoding */
export const decode = (input: unknown, source = "value"): Effect.Effect<PartsProtocol, PartsProtocolDecodeError> =>
  Schema.decodeUnknownEffect(PartsProtocol)(input, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError(
      (e) =>
        new PartsProtocolDecodeError({ source, issues: ConfigIssues.explainAll(PartsProtocol.ast, input, e.issue) })
    )
  )

/** Decodes protocol text (YAML, or JSON). @category decoding */
export const parse = (text: string, source = "text"): Effect.Effect<PartsProtocol, PartsProtocolDecodeError> =>
  Effect.try({
    try: () => YAML.parse(text) as unknown,
    catch: (e) =>
      new PartsProtocolDecodeError({
        source,
        issues: [{ path: "(root)", message: `not valid YAML or JSON: ${e instanceof Error ? e.message : String(e)}` }]
      })
  }).pipe(Effect.flatMap((value) => decode(value, source)))

/** The protocol's file form, every default written out. @category encoding */
export const encode = (protocol: PartsProtocol): PartsProtocolInput => Schema.encodeSync(PartsProtocol)(protocol)
