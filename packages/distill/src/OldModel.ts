/**
 * The `OldModel` service: in a lifelong protocol, the frozen model of the previous task, which the new model
 * must not forget (LwF, DwPP, DwoPP). Its forward runs without gradients and its variables never change; the
 * continual protocol snapshots the model after each task and provides it for the next one.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/metric"
import { Context, type Effect, Layer, type Scope } from "effect"
import * as FrozenModel from "./FrozenModel.ts"

/**
 * The previous task's model. `Term<OldModel>` requires it, so an Objective that distils from the old model
 * does not compile until one is provided (for the first task, leave those terms out).
 * @category services
 * @since 0.1.0
 */
export class OldModel extends Context.Service<OldModel, FrozenModel.FrozenModelService>()("@reidfx/distill/OldModel") {
  /** An old model from a service value (see `FrozenModel.make`). */
  static readonly layer = (service: FrozenModel.FrozenModelService): Layer.Layer<OldModel> =>
    Layer.succeed(OldModel, service)
  /** An old model built by an Effect (e.g. loaded from a checkpoint, owned by the layer's scope). */
  static readonly layerEffect = <E, R>(
    make: Effect.Effect<FrozenModel.FrozenModelService, E, R>
  ): Layer.Layer<OldModel, E, Exclude<R, Scope.Scope>> => Layer.effect(OldModel, make)
  /** An old model from a forward function: anything that can embed a batch. */
  static readonly fromForward = (
    forward: (inputs: tf.Tensor) => ModelOutputs,
    options: FrozenModel.MakeOptions = {}
  ): Layer.Layer<OldModel> => Layer.succeed(OldModel, FrozenModel.make(forward, { name: "oldModel", ...options }))
  /** An old model from any model with a `forward` (e.g. a frozen snapshot of `@reidfx/model`). */
  static readonly fromModel = <I extends tf.Tensor>(
    model: FrozenModel.ModelLike<I>,
    options: { readonly name?: string } = {}
  ): Layer.Layer<OldModel> => Layer.succeed(OldModel, FrozenModel.fromModel(model, { name: "oldModel", ...options }))
  /** An old model that is a frozen copy of variables (see `FrozenModel.snapshot`), released with the layer. */
  static readonly fromSnapshot = (
    variables: ReadonlyArray<tf.Variable>,
    forwardWith: (variables: ReadonlyArray<tf.Variable>, inputs: tf.Tensor) => ModelOutputs,
    options: { readonly name?: string } = {}
  ): Layer.Layer<OldModel> =>
    Layer.effect(OldModel, FrozenModel.snapshot(variables, forwardWith, { name: "oldModel", ...options }))
}
