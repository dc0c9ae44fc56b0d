/**
 * The Schema of a model: backbone and head. Decoding fills in the defaults; an unknown key or a bad value
 * is an error naming the key and what is allowed.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))

/** The CPU reference net (a small ResNet; see `referenceNet`). */
export const ReferenceBackbone = Schema.Struct({
  kind: Schema.Literal("reference"),
  stemWidth: PositiveInt.pipe(def(32)),
  widths: Schema.Array(PositiveInt).check(Schema.isMinLength(1)).pipe(def([32, 64, 128, 256])),
  blocks: Schema.Array(PositiveInt).check(Schema.isMinLength(1)).pipe(def([2, 2, 2, 2])),
  lastStride: Schema.Literals([1, 2]).pipe(def(2))
})

/** A torchvision ResNet. */
export const ResNetBackbone = Schema.Struct({
  kind: Schema.Literals(["resnet18", "resnet34", "resnet50"]),
  /** Stride of layer4: 2 (torchvision) or 1 (BoT, Luo et al. 2019). */
  lastStride: Schema.Literals([1, 2]).pipe(def(2)),
  /** IBN-a blocks in layers 1-3 (Pan et al. 2018). */
  ibn: Schema.Boolean.pipe(def(false)),
  /** Stem max-pool: torchvision's (padding 1) or fast-reid's (no padding, ceil mode). */
  stemPool: Schema.Literals(["torchvision", "fastreid"]).pipe(def("torchvision"))
})

/** torchvision's MobileNetV2. */
export const MobileNetV2Backbone = Schema.Struct({
  kind: Schema.Literal("mobilenetv2"),
  widthMultiplier: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(1))
})

export const BackboneConfig = Schema.Union([ReferenceBackbone, ResNetBackbone, MobileNetV2Backbone])
export type BackboneConfig = typeof BackboneConfig.Type

export const HeadConfig = Schema.Struct({
  pooling: Schema.Literals(["avg", "max", "gem"]).pipe(def("avg")),
  /** Initial GeM exponent. */
  gemP: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(3)),
  /** Linear embedding size after pooling (absent: the pooled features). */
  embedding: Schema.optionalKey(PositiveInt),
  neck: Schema.Literals(["bnneck", "none"]).pipe(def("bnneck")),
  /** Identities of the classifier (0: no classifier). */
  classes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(def(0)),
  classifierBias: Schema.optionalKey(Schema.Boolean),
  classifierInit: Schema.Literals(["reid", "torch"]).pipe(def("reid")),
  /** AlignedReID's local branch (`localFeatures` `[B, S, channels]`); see `heads/LocalBranch.ts`. */
  local: Schema.optionalKey(Schema.Struct({
    channels: PositiveInt.pipe(def(128)),
    /** Stripes (absent: one per feature-map row). */
    stripes: Schema.optionalKey(PositiveInt),
    pooling: Schema.Literals(["avg", "max"]).pipe(def("avg"))
  })),
  /** PCB parts (`localFeatures` `[B, parts, channels]` and, with classes, `partLogits`); see `heads/PcbHead.ts`. */
  parts: Schema.optionalKey(Schema.Struct({
    parts: PositiveInt.pipe(def(6)),
    channels: PositiveInt.pipe(def(256)),
    /** Refined part pooling (RPP, `heads/RefinedPartPooling.ts`) instead of uniform stripes. */
    refined: Schema.Boolean.pipe(def(false))
  })),
  /** Binary attributes of an attribute head (`attributeLogits` `[B, attributes]`); see `heads/AttributeHead.ts`. */
  attributes: Schema.optionalKey(PositiveInt)
}).check(Schema.makeFilter((h) => (h.local !== undefined && h.parts !== undefined ? "head.local and head.parts both produce localFeatures: choose one" : undefined)))
export type HeadConfig = typeof HeadConfig.Type

/** A whole model. */
export const ModelConfig = Schema.Struct({
  backbone: BackboneConfig,
  head: HeadConfig.pipe(def({ pooling: "avg", gemP: 3, neck: "bnneck", classes: 0, classifierInit: "reid" } as HeadConfig)),
  inputChannels: PositiveInt.pipe(def(3))
})
export type ModelConfig = typeof ModelConfig.Type
/** The input form: every defaulted key may be left out. */
export type ModelConfigInput = typeof ModelConfig.Encoded

/** The strong-baseline model on the reference net: GAP, BNNeck, bias-free classifier. */
export const referenceBaseline = (classes: number): ModelConfigInput => ({ backbone: { kind: "reference" }, head: { classes, neck: "bnneck" } })

/** A torchvision classification model (avg pooling, 1000-class fc with bias, no neck): for parameter counts. */
export const torchvisionClassifier = (kind: "resnet18" | "resnet34" | "resnet50" | "mobilenetv2", classes = 1000): ModelConfigInput => ({
  backbone: { kind } as typeof BackboneConfig.Encoded,
  head: { pooling: "avg", neck: "none", classes, classifierBias: true, classifierInit: "torch" }
})
