/**
 * A network definition: the parameter specifications and the forward function of a {@link ModelConfig}.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import type { Backbone } from "./backbones/Backbone.ts"
import * as BackboneCatalog from "./BackboneCatalog.ts"
import { attributeHead } from "./heads/AttributeHead.ts"
import { localBranch } from "./heads/LocalBranch.ts"
import { pcbHead } from "./heads/PcbHead.ts"
import { reidHead } from "./heads/ReidHead.ts"
import type { ModelConfig } from "./ModelConfig.ts"
import { Builder, type ForwardContext, type ParamSpec } from "./nn/Builder.ts"

/** A network built from a model config: its parameter specs, embedding size and forward pass. */
export interface Network {
  readonly config: ModelConfig
  readonly specs: ReadonlyArray<ParamSpec>
  /** Size of the embeddings. */
  readonly featureDim: number
  /** The forward pass of a batch `[B, H, W, 3]` with the parameters of `ctx`. */
  readonly forward: (ctx: ForwardContext, inputs: tf.Tensor4D) => ModelOutputs
}

/** The backbone of a config, built by its `BackboneCatalog` entry. */
const backboneOf = (b: Builder, config: ModelConfig): Backbone =>
  BackboneCatalog.builtin.require(config.backbone.kind).build(b, config.backbone, config.inputChannels)

/** Defines the network of a (decoded) config. Parameters are named `backbone/...` and `head/...`. */
export const define = (config: ModelConfig): Network => {
  const root = new Builder()
  const backbone = backboneOf(root.scope("backbone"), config)
  const h = config.head
  const head = reidHead(root.scope("head"), {
    inChannels: backbone.outChannels,
    pooling: h.pooling,
    gemP: h.gemP,
    embedding: h.embedding,
    neck: h.neck,
    classes: h.classes,
    classifierBias: h.classifierBias,
    classifierInit: h.classifierInit
  })
  const local =
    h.local === undefined
      ? undefined
      : localBranch(root.scope("local"), { inChannels: backbone.outChannels, ...h.local })
  const parts =
    h.parts === undefined
      ? undefined
      : pcbHead(root.scope("parts"), { inChannels: backbone.outChannels, ...h.parts, classes: h.classes })
  const attributes =
    h.attributes === undefined
      ? undefined
      : attributeHead(root.scope("attributes"), { inFeatures: head.featureDim, attributes: h.attributes })
  return {
    config,
    specs: root.specs,
    featureDim: head.featureDim,
    forward: (ctx, inputs) => {
      const map = backbone.forward(ctx, inputs)
      // the backbone's last map travels with the outputs (PatchKD samples its patches from it)
      const out = { ...head.forward(ctx, map), featureMap: map }
      if (local === undefined && parts === undefined && attributes === undefined) return out
      return {
        ...out,
        ...(local === undefined ? {} : { localFeatures: local.forward(ctx, map) }),
        ...(parts === undefined ? {} : parts.forward(ctx, map)),
        ...(attributes === undefined ? {} : { attributeLogits: attributes(ctx, out.features) })
      }
    }
  }
}

/** Number of trainable parameters (what torchvision's `sum(p.numel() for p in model.parameters())` counts). */
export const parameterCount = (specs: ReadonlyArray<ParamSpec>): number =>
  specs.filter((s) => s.trainable).reduce((n, s) => n + s.shape.reduce((a, d) => a * d, 1), 0)
