/**
 * The `Teacher` service: a frozen model a student learns from (Hinton's knowledge distillation, MDKT's
 * video teacher). Its forward runs without gradients and its variables never change.
 * @since 0.1.0
 */
import type * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/metric"
import { Context, type Effect, Layer, type Scope } from "effect"
import * as FrozenModel from "./FrozenModel.ts"

/**
 * The teacher of a distillation term. `Term<Teacher>` requires it, so an Objective that distils from a
 * teacher does not compile until one is provided.
 * @category services
 * @since 0.1.0
 */
export class Teacher extends Context.Service<Teacher, FrozenModel.FrozenModelService>()("@reidfx/distill/Teacher") {
  /** A teacher from a service value (see `FrozenModel.make`). */
  static readonly layer = (service: FrozenModel.FrozenModelService): Layer.Layer<Teacher> =>
    Layer.succeed(Teacher, service)
  /** A teacher built by an Effect (e.g. loaded from a checkpoint, owned by the layer's scope). */
  static readonly layerEffect = <E, R>(
    make: Effect.Effect<FrozenModel.FrozenModelService, E, R>
  ): Layer.Layer<Teacher, E, Exclude<R, Scope.Scope>> => Layer.effect(Teacher, make)
  /** A teacher from a forward function: anything that can embed a batch. */
  static readonly fromForward = (
    forward: (inputs: tf.Tensor) => ModelOutputs,
    options: FrozenModel.MakeOptions = {}
  ): Layer.Layer<Teacher> => Layer.succeed(Teacher, FrozenModel.make(forward, { name: "teacher", ...options }))
  /** A teacher from any model with a `forward` (e.g. a frozen snapshot of `@reidfx/model`). */
  static readonly fromModel = <I extends tf.Tensor>(
    model: FrozenModel.ModelLike<I>,
    options: { readonly name?: string } = {}
  ): Layer.Layer<Teacher> => Layer.succeed(Teacher, FrozenModel.fromModel(model, { name: "teacher", ...options }))
  /** A teacher that is a frozen copy of variables (see `FrozenModel.snapshot`), released with the layer. */
  static readonly fromSnapshot = (
    variables: ReadonlyArray<tf.Variable>,
    forwardWith: (variables: ReadonlyArray<tf.Variable>, inputs: tf.Tensor) => ModelOutputs,
    options: { readonly name?: string } = {}
  ): Layer.Layer<Teacher> =>
    Layer.effect(Teacher, FrozenModel.snapshot(variables, forwardWith, { name: "teacher", ...options }))
}
