/**
 * Models as scoped resources.
 *
 * A {@link TrainableModel} owns one `tf.Variable` per parameter and state tensor, created in the current
 * `Scope` and disposed when it closes. {@link TrainableModel.snapshot} copies the current values into a
 * {@link FrozenModel}: plain tensors (not variables), always in inference mode, so no optimizer can change
 * them and no gradient reaches them. Frozen snapshots are the teachers of distillation and the old model
 * of a lifelong protocol.
 *
 * `Model` is the service of the model being trained; `layer(config)` builds it (initial weights from the
 * run's `Rng` stream `"init"`).
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import { Backend, InvalidOption, Rng } from "@reidfx/tensor"
import { Context, Effect, Layer, Schema, type Scope } from "effect"
import { ModelConfig, type ModelConfigInput } from "./ModelConfig.ts"
import { modelBase, scopedCopies, scopedVariables, tensorGetter, variableLookups } from "./ModelParts.ts"
import { define, type Network } from "./Network.ts"
import type { ParamSpec } from "./nn/Builder.ts"

/**
 * What every model (trainable or frozen) offers, generic in its input: `[B, H, W, C]` images for the image
 * models of this package, `[B, T, H, W, C]` clips (or images) for `@reidfx/video`'s clip models, which share
 * this one shape (`ModelOf<tf.Tensor, VideoModelConfig, VideoNetwork>`).
 */
export interface ModelOf<Input extends tf.Tensor, Config = ModelConfig, N = Network> {
  readonly config: Config
  readonly network: N
  /** Size of `features` / `neckFeatures`. */
  readonly featureDim: number
  /** Trainable parameter count. */
  readonly parameterCount: number
  /**
   * The outputs for a batch of inputs. `training: true` uses batch statistics and updates the running
   * statistics (trainable models only). Synchronous: call it inside `tf.tidy` / `tf.variableGrads`.
   */
  readonly forward: (inputs: Input, options?: { readonly training?: boolean }) => ModelOutputs
  /** Retrieval embeddings (`neckFeatures` in inference mode). */
  readonly embed: (inputs: Input) => tf.Tensor2D
  /** The current value of every parameter and state tensor, by name (not copies: do not dispose). */
  readonly weights: () => ReadonlyMap<string, tf.Tensor>
}

/** The variables of a trainable model (any input), what optimizers and checkpoints read. */
export interface TrainableOf<Input extends tf.Tensor, Config = ModelConfig, N = Network>
  extends ModelOf<Input, Config, N> {
  /** Every variable (parameters and state) by parameter name. */
  readonly variables: ReadonlyMap<string, tf.Variable>
  /** The trainable variables, in definition order. */
  readonly trainableVariables: ReadonlyArray<tf.Variable>
  /** The parameter name of a variable (variables have globally unique tfjs names). */
  readonly nameOf: (variable: tf.Variable) => string
}

/** What every image model (trainable or frozen) offers: {@link ModelOf} `[B, H, W, C]` images. */
export interface ModelBase extends ModelOf<tf.Tensor4D> {}

/** A model whose parameters are trainable variables owned by a Scope. */
export interface TrainableModel extends TrainableOf<tf.Tensor4D> {
  readonly _tag: "TrainableModel"
  /** A frozen copy of the current weights, owned by the current Scope. */
  readonly snapshot: Effect.Effect<FrozenModel, never, Scope.Scope>
  /** Overwrites weights by name (shapes must match; names not given keep their values). */
  readonly assign: (weights: ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>) => void
}

/** A frozen model: constant tensors, inference mode, outputs detached from any gradient tape. */
export interface FrozenModel extends ModelBase {
  readonly _tag: "FrozenModel"
}

/** Decodes a model config (defaults filled), failing with {@link InvalidOption} naming the bad key. */
export const decodeConfig = (input: ModelConfigInput | unknown): Effect.Effect<ModelConfig, InvalidOption> =>
  Schema.decodeUnknownEffect(ModelConfig)(input, { onExcessProperty: "error" }).pipe(
    Effect.mapError((e) => new InvalidOption({ what: "model config", detail: e.message }))
  )

const checkNames = (specs: ReadonlyArray<ParamSpec>, weights: ReadonlyMap<string, tf.Tensor>) => {
  for (const [name, t] of weights) {
    const spec = specs.find((s) => s.name === name)
    if (spec === undefined) throw new Error(`assign: the model has no parameter named ${name}`)
    if (spec.shape.length !== t.shape.length || spec.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`assign: ${name} has shape [${spec.shape.join(", ")}], got [${t.shape.join(", ")}]`)
    }
  }
}

/** A frozen model from a network and its tensors (which the caller's Scope owns). */
export const frozenFrom = (network: Network, tensors: ReadonlyMap<string, tf.Tensor>): FrozenModel => ({
  _tag: "FrozenModel",
  ...modelBase<ModelConfig, tf.Tensor4D, Network>(network, tensorGetter(tensors, "frozen model"), () => {}, true),
  weights: () => tensors
})

/**
 * A trainable model of a decoded config, its variables owned by the current Scope. Initial values come from
 * the `"init"` stream of the run's `Rng` (per-parameter derived streams).
 */
export const makeTrainable = (
  config: ModelConfig
): Effect.Effect<TrainableModel, never, Scope.Scope | Backend.Backend> =>
  Effect.gen(function* () {
    // the variables live on the backend a `Backend` layer made active: forgetting the layer is a type error
    yield* Backend.Backend
    const network = define(config)
    const rng = (yield* Rng.Rng).stream("init")
    const variables = yield* scopedVariables(network.specs, rng)
    const { get, nameOf } = variableLookups(variables, "model")
    const setState = (name: string, value: tf.Tensor) => (get(name) as tf.Variable).assign(value)
    const assign = (weights: ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>) => {
      const map =
        weights instanceof Map ? (weights as ReadonlyMap<string, tf.Tensor>) : new Map(Object.entries(weights))
      checkNames(network.specs, map)
      for (const [name, t] of map) variables.get(name)!.assign(t.dtype === "float32" ? t : tf.cast(t, "float32"))
    }
    const model: TrainableModel = {
      _tag: "TrainableModel",
      ...modelBase<ModelConfig, tf.Tensor4D, Network>(network, get, setState, false),
      variables,
      trainableVariables: network.specs.filter((s) => s.trainable).map((s) => variables.get(s.name)!),
      nameOf,
      weights: () => variables,
      assign,
      snapshot: Effect.map(scopedCopies(variables), (tensors) => frozenFrom(network, tensors))
    }
    return model
  })

/** Decodes a config input, then {@link makeTrainable}. */
export const make = (
  input: ModelConfigInput
): Effect.Effect<TrainableModel, InvalidOption, Scope.Scope | Backend.Backend> =>
  Effect.flatMap(decodeConfig(input), makeTrainable)

/** The model being trained. */
export class Model extends Context.Service<Model, TrainableModel>()("@reidfx/model/Model") {}

/** A layer providing {@link Model} (variables disposed when the layer's scope closes). */
export const layer = (input: ModelConfigInput): Layer.Layer<Model, InvalidOption, Backend.Backend> =>
  Layer.effect(Model, make(input))

/** A frozen snapshot of the current {@link Model}, owned by the current Scope. */
export const snapshot: Effect.Effect<FrozenModel, never, Model | Scope.Scope> = Model.use((m) => m.snapshot)

/**
 * Copies weights from one model into another by parameter name: every tensor whose name and shape match is
 * copied (e.g. the backbone and neck of the previous task's model into a model with a new classifier). With
 * `keepClassifierColumns: true`, a classifier `[D, K_old]` is copied into the first `K_old` columns of a
 * `[D, K_new]` one (K_new >= K_old), so the old identities keep their weights. Returns the copied names.
 */
export const copyWeights = (
  from: ModelBase,
  to: TrainableModel,
  options: { readonly include?: (name: string) => boolean; readonly keepClassifierColumns?: boolean } = {}
): ReadonlyArray<string> => {
  const copied: Array<string> = []
  const source = from.weights()
  tf.tidy(() => {
    for (const [name, target] of to.variables) {
      const value = source.get(name)
      if (value === undefined || (options.include !== undefined && !options.include(name))) continue
      const same = value.shape.length === target.shape.length && value.shape.every((d, i) => d === target.shape[i])
      if (same) {
        target.assign(value)
        copied.push(name)
      } else if (
        options.keepClassifierColumns === true &&
        name === "head/classifier/kernel" &&
        value.shape.length === 2 &&
        value.shape[0] === target.shape[0] &&
        value.shape[1]! <= target.shape[1]!
      ) {
        const k = value.shape[1]!
        target.assign(tf.concat([value, tf.slice(target, [0, k], [-1, target.shape[1]! - k])], 1))
        copied.push(name)
      } else if (
        options.keepClassifierColumns === true &&
        name === "head/classifier/bias" &&
        value.shape[0]! <= target.shape[0]!
      ) {
        const k = value.shape[0]!
        target.assign(tf.concat([value, tf.slice(target, [k], [-1])], 0))
        copied.push(name)
      }
    }
  })
  return copied
}
