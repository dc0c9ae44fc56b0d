/**
 * Video (clip) models: a frame network run on the `B * T` frames of a `[B, T, H, W, C]` batch of clips, a
 * temporal pooling of the `[B, T, D]` frame embeddings into `[B, D]` clip embeddings, then a BNNeck and a
 * classifier on the clip embedding:
 *
 *     f_{b,t}      = frameNet(x_{b,t})                       (backbone + spatial pooling + optional embedding)
 *     features_b   = temporalPool_t(f_{b,t})                  (mean, max or quality-weighted)
 *     neckFeatures = BN_{no bias}(features) or features       (retrieval uses these)
 *     logits       = neckFeatures W                           (W without bias under a BNNeck)
 *
 * The same model embeds images (`[B, H, W, C]`, read as clips of one frame, which every pooling returns
 * unchanged) and clips of any length, so an image-to-video student and its video teacher can share one
 * architecture and differ only in the number of frames they see (MDKT).
 *
 * Like `@reidfx/model`'s models, a {@link TrainableVideoModel} owns one `tf.Variable` per parameter and state
 * tensor in the current Scope; {@link TrainableVideoModel.snapshot} copies them into a {@link FrozenVideoModel}
 * (constant tensors, inference mode, detached outputs): the frozen teacher of MDKT.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import {
  batchNorm,
  Builder,
  define,
  type ForwardContext,
  linear,
  ModelConfig,
  type ModelOf,
  modelBase,
  type ParamSpec,
  scopedCopies,
  scopedVariables,
  type TrainableOf,
  tensorGetter,
  variableLookups
} from "@reidfx/model"
import { InvalidOption, Rng, ShapeMismatch } from "@reidfx/tensor"
import { Effect, Schema, type Scope } from "effect"
import { temporalPool } from "./TemporalPooling.ts"
import { VideoModelConfig, type VideoModelConfigInput } from "./VideoModelConfig.ts"

/** A video network definition: parameter specifications and the forward function. @category models @since 0.1.0 */
export interface VideoNetwork {
  readonly config: VideoModelConfig
  readonly specs: ReadonlyArray<ParamSpec>
  /** Size of `features` / `neckFeatures`. */
  readonly featureDim: number
  /** Outputs for `[B, T, H, W, C]` clips or `[B, H, W, C]` images (one frame each). */
  readonly forward: (ctx: ForwardContext, inputs: tf.Tensor) => ModelOutputs
  /** The `[B, T, D]` frame embeddings of clips (before temporal pooling). */
  readonly frameEmbeddings: (ctx: ForwardContext, inputs: tf.Tensor) => tf.Tensor3D
}

/** Reads `[B, H, W, C]` as `[B, 1, H, W, C]`; checks rank 5 otherwise. */
export const asClips = (inputs: tf.Tensor, what = "video model: inputs"): tf.Tensor5D => {
  if (inputs.rank === 4) return tf.expandDims(inputs, 1) as tf.Tensor5D
  if (inputs.rank !== 5) throw new ShapeMismatch({ what, expected: ["B", "T", "H", "W", "C"], actual: inputs.shape })
  return inputs as tf.Tensor5D
}

/**
 * Defines the network of a decoded config. Parameters are named `frame/backbone/...`, `frame/head/...` (the
 * frame network of `@reidfx/model`, without neck or classifier) and `clip/...` (quality scorer, BNNeck,
 * classifier).
 * @category constructors
 * @since 0.1.0
 */
export const defineVideo = (config: VideoModelConfig): VideoNetwork => {
  const frameConfig = Schema.decodeUnknownSync(ModelConfig.ModelConfig)({
    backbone: config.backbone,
    head: {
      pooling: config.spatialPooling,
      ...(config.embedding === undefined ? {} : { embedding: config.embedding }),
      neck: "none",
      classes: 0
    },
    inputChannels: config.inputChannels
  })
  const frame = define(frameConfig)
  const dim = frame.featureDim
  const clip = new Builder("clip")
  const quality =
    config.temporalPooling === "quality"
      ? {
          w: clip.param("quality/w", [dim], { kind: "constant", value: 0 }),
          b: clip.param("quality/b", [1], { kind: "constant", value: 0 })
        }
      : undefined
  const neck =
    config.neck === "bnneck"
      ? batchNorm<tf.Tensor2D>(clip.scope("bnneck"), { channels: dim, center: false })
      : undefined
  const classifier =
    config.classes > 0
      ? linear(clip.scope("classifier"), {
          inFeatures: dim,
          outFeatures: config.classes,
          bias: config.neck !== "bnneck",
          init: { kind: "normal", std: 0.001 },
          biasInit: { kind: "constant", value: 0 }
        })
      : undefined
  const specs = [...frame.specs.map((s) => ({ ...s, name: `frame/${s.name}` })), ...clip.specs]
  const frameCtx = (ctx: ForwardContext): ForwardContext => ({
    get: (name) => ctx.get(`frame/${name}`),
    training: ctx.training,
    setState: (name, value) => ctx.setState(`frame/${name}`, value)
  })
  const frameEmbeddings = (ctx: ForwardContext, inputs: tf.Tensor): tf.Tensor3D => {
    const clips = asClips(inputs)
    const [b, t, h, w, c] = clips.shape
    const frames = tf.reshape(clips, [b * t, h, w, c]) as tf.Tensor4D
    const out = frame.forward(frameCtx(ctx), frames)
    return tf.reshape(out.features, [b, t, dim]) as tf.Tensor3D
  }
  return {
    config,
    specs,
    featureDim: dim,
    frameEmbeddings,
    forward: (ctx, inputs) => {
      const perFrame = frameEmbeddings(ctx, inputs)
      const features =
        perFrame.shape[1] === 1
          ? (tf.reshape(perFrame, [perFrame.shape[0], dim]) as tf.Tensor2D)
          : temporalPool(
              config.temporalPooling,
              perFrame,
              quality === undefined ? undefined : { w: ctx.get(quality.w) as tf.Tensor1D, b: ctx.get(quality.b) }
            )
      const neckFeatures = neck === undefined ? features : neck(ctx, features)
      return classifier === undefined
        ? { features, neckFeatures }
        : { features, neckFeatures, logits: classifier(ctx, neckFeatures) }
    }
  }
}

/**
 * What every video model (trainable or frozen) offers: `@reidfx/model`'s `ModelOf`, the one model shape generic in
 * its input, over `[B, T, H, W, C]` clips or `[B, H, W, C]` images. @category models @since 0.1.0
 */
export interface VideoModelBase extends ModelOf<tf.Tensor, VideoModelConfig, VideoNetwork> {}

/** A video model whose parameters are variables owned by a Scope. @category models @since 0.1.0 */
export interface TrainableVideoModel extends TrainableOf<tf.Tensor, VideoModelConfig, VideoNetwork> {
  readonly _tag: "TrainableVideoModel"
  /** A frozen copy of the current weights, owned by the current Scope. */
  readonly snapshot: Effect.Effect<FrozenVideoModel, never, Scope.Scope>
  /** Overwrites weights by name (shapes must match; names not given keep their values). */
  readonly assign: (weights: ReadonlyMap<string, tf.Tensor>) => void
}

/** A frozen video model: constant tensors, inference mode, outputs detached. @category models @since 0.1.0 */
export interface FrozenVideoModel extends VideoModelBase {
  readonly _tag: "FrozenVideoModel"
}

/** A frozen video model over tensors the caller's Scope owns. @category constructors @since 0.1.0 */
export const frozenFrom = (network: VideoNetwork, tensors: ReadonlyMap<string, tf.Tensor>): FrozenVideoModel => ({
  _tag: "FrozenVideoModel",
  ...modelBase<VideoModelConfig, tf.Tensor, VideoNetwork>(
    network,
    tensorGetter(tensors, "frozen video model"),
    () => {},
    true
  ),
  weights: () => tensors
})

/** Decodes a config, failing with `InvalidOption` naming the bad key. @category constructors @since 0.1.0 */
export const decodeConfig = (input: VideoModelConfigInput | unknown): Effect.Effect<VideoModelConfig, InvalidOption> =>
  Schema.decodeUnknownEffect(VideoModelConfig)(input, { onExcessProperty: "error" }).pipe(
    Effect.mapError((e) => new InvalidOption({ what: "video model config", detail: e.message }))
  )

/**
 * A trainable video model of a decoded config, its variables owned by the current Scope; initial values come
 * from the run's `Rng`, stream `init/<name>` (`name` distinguishes two models of one run, e.g. teacher and student).
 * @category constructors
 * @since 0.1.0
 */
export const makeTrainable = (
  config: VideoModelConfig,
  name = "video"
): Effect.Effect<TrainableVideoModel, never, Scope.Scope> =>
  Effect.gen(function* () {
    const network = defineVideo(config)
    const rng = (yield* Rng.Rng).stream(`init/${name}`)
    const variables = yield* scopedVariables(network.specs, rng)
    const { get, nameOf } = variableLookups(variables, "video model")
    const setState = (n: string, value: tf.Tensor) => (get(n) as tf.Variable).assign(value)
    return {
      _tag: "TrainableVideoModel" as const,
      nameOf,
      assign: (weights: ReadonlyMap<string, tf.Tensor>) => {
        for (const [n, t] of weights) {
          const v = variables.get(n)
          if (v === undefined) throw new Error(`video model: assign: no parameter named ${n}`)
          if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
            throw new ShapeMismatch({ what: `video model: assign ${n}`, expected: v.shape, actual: t.shape })
          }
          v.assign(t)
        }
      },
      ...modelBase<VideoModelConfig, tf.Tensor, VideoNetwork>(network, get, setState, false),
      variables,
      trainableVariables: network.specs.filter((s) => s.trainable).map((s) => variables.get(s.name)!),
      weights: () => variables,
      snapshot: Effect.map(scopedCopies(variables), (tensors) => frozenFrom(network, tensors))
    }
  })

/** Decodes a config input, then {@link makeTrainable}. @category constructors @since 0.1.0 */
export const make = (
  input: VideoModelConfigInput,
  name = "video"
): Effect.Effect<TrainableVideoModel, InvalidOption, Scope.Scope> =>
  Effect.flatMap(decodeConfig(input), (config) => makeTrainable(config, name))
