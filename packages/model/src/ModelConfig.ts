/**
 * The Schema of a model: backbone and head. Decoding fills in the defaults; an unknown key or a bad value
 * is an error naming the key and what is allowed.
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as BackboneCatalog from "./BackboneCatalog.ts"
import { MobileNetV2Backbone } from "./backbones/MobileNetV2.ts"
import { OSNetBackbone } from "./backbones/OSNet.ts"
import { ReferenceBackbone } from "./backbones/ReferenceNet.ts"
import { ResNetBackbone } from "./backbones/ResNet.ts"

export { MobileNetV2Backbone, OSNetBackbone, ReferenceBackbone, ResNetBackbone }

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))

/** The config of any catalogued backbone (derived from `BackboneCatalog`). */
export const BackboneConfig = BackboneCatalog.BackboneConfig
export type BackboneConfig = typeof BackboneConfig.Type

/** The head on the backbone's feature map: pooling, neck, classifier and optional local / part branches. */
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
  local: Schema.optionalKey(
    Schema.Struct({
      channels: PositiveInt.pipe(def(128)),
      /** Stripes (absent: one per feature-map row). */
      stripes: Schema.optionalKey(PositiveInt),
      pooling: Schema.Literals(["avg", "max"]).pipe(def("avg"))
    })
  ),
  /** PCB parts (`localFeatures` `[B, parts, channels]` and, with classes, `partLogits`); see `heads/PcbHead.ts`. */
  parts: Schema.optionalKey(
    Schema.Struct({
      parts: PositiveInt.pipe(def(6)),
      channels: PositiveInt.pipe(def(256)),
      /** Refined part pooling (RPP, `heads/RefinedPartPooling.ts`) instead of uniform stripes. */
      refined: Schema.Boolean.pipe(def(false))
    })
  ),
  /** Binary attributes of an attribute head (`attributeLogits` `[B, attributes]`); see `heads/AttributeHead.ts`. */
  attributes: Schema.optionalKey(PositiveInt)
}).check(
  Schema.makeFilter((h) =>
    h.local !== undefined && h.parts !== undefined
      ? "head.local and head.parts both produce localFeatures: choose one"
      : undefined
  )
)
/** A decoded {@link HeadConfig}. */
export type HeadConfig = typeof HeadConfig.Type

/** A whole model. */
export const ModelConfig = Schema.Struct({
  backbone: BackboneConfig,
  head: HeadConfig.pipe(
    def({ pooling: "avg", gemP: 3, neck: "bnneck", classes: 0, classifierInit: "reid" } as HeadConfig)
  ),
  inputChannels: PositiveInt.pipe(def(3))
})
export type ModelConfig = typeof ModelConfig.Type
/** The input form: every defaulted key may be left out. */
export type ModelConfigInput = typeof ModelConfig.Encoded

/** The strong-baseline model on the reference net: GAP, BNNeck, bias-free classifier. */
export const referenceBaseline = (classes: number): ModelConfigInput => ({
  backbone: { kind: "reference" },
  head: { classes, neck: "bnneck" }
})

/** A torchvision classification model (avg pooling, 1000-class fc with bias, no neck): for parameter counts. */
export const torchvisionClassifier = (
  kind: "resnet18" | "resnet34" | "resnet50" | "mobilenetv2",
  classes = 1000
): ModelConfigInput => ({
  backbone: { kind } as typeof BackboneConfig.Encoded,
  head: { pooling: "avg", neck: "none", classes, classifierBias: true, classifierInit: "torch" }
})
