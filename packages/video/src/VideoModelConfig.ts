/**
 * The Schema of a video model: a frame network (backbone, spatial pooling, optional embedding) shared by every
 * frame, a temporal pooling, and a head (BNNeck, classifier) on the pooled clip embedding. Decoding fills in
 * the defaults; an unknown key or a bad value is an error naming the key.
 * @since 0.1.0
 */
import { ModelConfig } from "@reidfx/model"
import { Effect, Schema } from "effect"
import { temporalPoolingKinds } from "./TemporalPooling.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))

/**
 * A video (clip) model.
 *
 * ```yaml
 * backbone: { kind: reference, stemWidth: 16, widths: [16, 32, 64, 128] }
 * spatialPooling: avg
 * embedding: 128          # optional linear embedding per frame
 * temporalPooling: mean   # mean | max | quality
 * neck: bnneck
 * classes: 64             # 0: no classifier
 * ```
 * @category models
 * @since 0.1.0
 */
export const VideoModelConfig = Schema.Struct({
  backbone: ModelConfig.BackboneConfig,
  /** Global pooling of each frame's feature map. */
  spatialPooling: Schema.Literals(["avg", "max", "gem"]).pipe(def("avg")),
  /** Linear embedding of each frame after spatial pooling (absent: the pooled features). */
  embedding: Schema.optionalKey(PositiveInt),
  /** How frame embeddings become one clip embedding (see `TemporalPooling`). */
  temporalPooling: Schema.Literals(temporalPoolingKinds).pipe(def("mean")),
  /** BNNeck (Luo et al. 2019) on the clip embedding, or none. */
  neck: Schema.Literals(["bnneck", "none"]).pipe(def("bnneck")),
  /** Identities of the classifier on the clip embedding (0: no classifier, no logits). */
  classes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(def(0)),
  inputChannels: PositiveInt.pipe(def(3))
})
/** A decoded video model config. @category models @since 0.1.0 */
export type VideoModelConfig = typeof VideoModelConfig.Type
/** A video model config as written (defaulted keys may be left out). @category models @since 0.1.0 */
export type VideoModelConfigInput = typeof VideoModelConfig.Encoded
