/**
 * Tensors as scoped resources, and an Effect form of `tf.tidy`.
 *
 * tfjs frees memory only on `dispose()`. `tf.tidy` cannot span an `await`, so tensors that live across
 * asynchronous work (a model's variables, a task's cached data, a teacher's outputs) are owned by an Effect
 * `Scope` instead: they are disposed when the scope closes, on success, failure and interruption.
 *
 * Every helper that makes or frees tensors requires the {@link Backend} service: tensors live on the backend a
 * `Backend` layer made active (and whose kernels it holds), so forgetting the layer is a type error instead of a
 * silent run on tfjs's default backend.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit, type Scope } from "effect"
import { Backend } from "./Backend.ts"

/** Runs `self` once the `Backend` service is present (it only requires it). */
const onBackend = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Backend> =>
  Effect.flatMap(Backend, () => self)

const collect = (container: unknown, out: Set<tf.Tensor>): void => {
  if (container instanceof tf.Tensor) out.add(container)
  else if (Array.isArray(container)) for (const c of container) collect(c, out)
  else if (container !== null && typeof container === "object") {
    for (const c of Object.values(container)) collect(c, out)
  }
}

/** Every tensor (or variable) inside a value: arrays and plain objects are walked. */
export const tensorsIn = (container: unknown): ReadonlyArray<tf.Tensor> => {
  const out = new Set<tf.Tensor>()
  collect(container, out)
  return [...out]
}

/** Disposes every tensor inside a value, skipping ones already disposed. */
export const disposeAll = (container: unknown): void => {
  for (const t of tensorsIn(container)) if (!t.isDisposed) t.dispose()
}

/**
 * Acquires tensors in the current Scope: `make` runs in a `tf.tidy` (its intermediates are freed at once),
 * and the tensors it returns are disposed when the scope closes.
 */
export const acquire = <T extends tf.TensorContainer>(make: () => T): Effect.Effect<T, never, Scope.Scope | Backend> =>
  onBackend(
    Effect.acquireRelease(
      Effect.sync(() => tf.tidy(make)),
      (t) => Effect.sync(() => disposeAll(t))
    )
  )

/** Hands an existing tensor (or container of tensors) to the current Scope. */
export const own = <T>(value: T): Effect.Effect<T, never, Scope.Scope | Backend> =>
  onBackend(Effect.acquireRelease(Effect.succeed(value), (t) => Effect.sync(() => disposeAll(t))))

/** Creates a `tf.Variable` owned by the current Scope. */
export const variable = (
  initial: tf.Tensor,
  options?: { readonly trainable?: boolean; readonly name?: string }
): Effect.Effect<tf.Variable, never, Scope.Scope | Backend> =>
  onBackend(
    Effect.acquireRelease(
      Effect.sync(() => tf.variable(initial, options?.trainable ?? true, options?.name)),
      (v) => Effect.sync(() => v.dispose())
    )
  )

/**
 * Effect form of `tf.tidy`: every tensor created while `self` runs is disposed when it ends, except the
 * tensors in its result. On failure or interruption all of them are disposed.
 *
 * It uses the tfjs engine's scope stack, so it assumes no other fiber creates tensors meanwhile
 * (true of the sequential training and evaluation loops). For tensors that must outlive an `await`
 * in concurrent code, use {@link acquire} / {@link own} with a Scope instead.
 */
export const tidy = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Backend> =>
  onBackend(
    Effect.suspend(() => {
      const engine = tf.engine()
      engine.startScope("reidfx.tidy")
      return Effect.onExit(self, (exit) =>
        Effect.sync(() => {
          const keep = Exit.isSuccess(exit) ? tensorsIn(exit.value) : []
          engine.endScope(keep as Array<tf.Tensor>)
        })
      )
    })
  )

/** Reads a tensor's values outside any tidy (tidy makes `dataSync` on large tensors slow, see the backend notes). */
export const read = (t: tf.Tensor): Effect.Effect<Float32Array | Int32Array | Uint8Array, never, Backend> =>
  onBackend(Effect.promise(() => t.data() as Promise<Float32Array | Int32Array | Uint8Array>))
