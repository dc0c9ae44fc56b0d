/**
 * A frozen model: anything that can embed a batch, run without gradients. It is the shape of the
 * {@link Teacher} and {@link OldModel} services, independent of any concrete model class: a `tf.LayersModel`,
 * a hand-written network or a snapshot of `@reidfx/model` are all teachers once wrapped by {@link make}.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import type { ModelOutputs } from "@reidfx/tensor"
import { Effect, type Scope } from "effect"
import { untaped } from "./Gradient.ts"

/** A model whose outputs carry no gradient and whose variables never change. @category models @since 0.1.0 */
export interface FrozenModelService {
  /** Shown in term descriptions and logs. */
  readonly name: string
  /**
   * Embeds a batch. Nothing it computes is recorded on the gradient tape, so no training step can change the
   * model. The output tensors belong to the caller's `tf.tidy` scope. Calls with the same (undisposed) inputs
   * tensor return the same outputs, so several terms of one step share one forward pass.
   */
  readonly forward: (inputs: tf.Tensor) => ModelOutputs
  /** The model's weights (for inspection, e.g. checking that a training step left them unchanged). */
  readonly weights: ReadonlyArray<tf.Tensor>
}

/** Options of {@link make}. @since 0.1.0 */
export interface MakeOptions {
  readonly name?: string
  /** The model's weights by name, when the snapshot must copy them. */
  readonly weights?: ReadonlyArray<tf.Tensor>
}

const alive = (outputs: ModelOutputs): boolean =>
  !outputs.features.isDisposed &&
  (outputs.neckFeatures === undefined || !outputs.neckFeatures.isDisposed) &&
  (outputs.logits === undefined || !outputs.logits.isDisposed)

/**
 * Wraps a forward function as a frozen model: every call runs off the gradient tape, and the outputs of the
 * last inputs tensors are memoised (recomputed when they were disposed).
 * @category constructors
 * @since 0.1.0
 */
export const make = (forward: (inputs: tf.Tensor) => ModelOutputs, options: MakeOptions = {}): FrozenModelService => {
  const memo = new WeakMap<tf.Tensor, ModelOutputs>()
  return {
    name: options.name ?? "frozen",
    weights: options.weights ?? [],
    forward: (inputs) => {
      const cached = inputs.isDisposed ? undefined : memo.get(inputs)
      if (cached !== undefined && alive(cached)) return cached
      const outputs = untaped(() => forward(inputs))
      memo.set(inputs, outputs)
      return outputs
    }
  }
}

/**
 * A frozen snapshot of a model given by its variables and a forward function over them: the variables are
 * copied into non-trainable variables owned by the current Scope (disposed when it closes), so later training
 * of the source model does not change the snapshot.
 *
 * ```ts
 * const teacher = yield* FrozenModel.snapshot(student.variables, (vars, x) => mlp(vars, x), { name: "task 1" })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const snapshot = (
  variables: ReadonlyArray<tf.Variable>,
  forwardWith: (variables: ReadonlyArray<tf.Variable>, inputs: tf.Tensor) => ModelOutputs,
  options: { readonly name?: string } = {}
): Effect.Effect<FrozenModelService, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      // tf.variable shares the clone's data; tidy then frees the clone itself. Names are left to tfjs (unique).
      Effect.sync(() => tf.tidy(() => variables.map((v) => tf.variable(tf.clone(v), false)))),
      (copies) =>
        Effect.sync(() => {
          for (const c of copies) c.dispose()
        })
    ),
    (copies) => make((inputs) => forwardWith(copies, inputs), { name: options.name ?? "frozen", weights: copies })
  )

/** What {@link fromModel} accepts: a model object with a forward pass (structurally, `@reidfx/model`'s models). @since 0.1.0 */
export interface ModelLike<I extends tf.Tensor = tf.Tensor> {
  /** The forward pass; a frozen model calls it in inference mode. */
  readonly forward: (inputs: I, options?: { readonly training?: boolean }) => ModelOutputs
  /** The model's weights by name, when it exposes them (frozen snapshots of `@reidfx/model` do). */
  readonly weights?: () => ReadonlyMap<string, tf.Tensor>
}

/**
 * Any model object with a `forward` (and optionally `weights()`, as the frozen snapshots of `@reidfx/model`) as
 * a frozen model. Its forward is called in inference mode (`{ training: false }`).
 *
 * ```ts
 * const frozen = yield* model.snapshot                  // @reidfx/model, owned by the Scope
 * const teacher = FrozenModel.fromModel(frozen, { name: "teacher" })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromModel = <I extends tf.Tensor>(
  model: ModelLike<I>,
  options: { readonly name?: string } = {}
): FrozenModelService =>
  make((inputs) => model.forward(inputs as I, { training: false }), {
    name: options.name ?? "frozen",
    weights: model.weights === undefined ? [] : [...model.weights().values()]
  })
