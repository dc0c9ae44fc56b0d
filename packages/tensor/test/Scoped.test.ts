import { assert, describe, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { Backend, Scoped } from "../src/index.ts"
import { noLeaks, noLeaksEffect, TensorLeak } from "../src/testing.ts"

const count = () => tf.memory().numTensors

describe("Scoped tensors", () => {
  it.effect("acquire: intermediates are freed at once, results when the scope closes (success)", () =>
    Effect.gen(function* () {
      const before = count()
      const kept = yield* Effect.scoped(
        Effect.gen(function* () {
          const t = yield* Scoped.acquire(() => tf.add(tf.ones([2, 2]), tf.ones([2, 2])))
          assert.strictEqual(count(), before + 1)
          return t
        })
      )
      assert.isTrue(kept.isDisposed)
      assert.strictEqual(count(), before)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("acquire / own / variable are disposed on failure", () =>
    Effect.gen(function* () {
      const before = count()
      let seen: Array<tf.Tensor> = []
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const a = yield* Scoped.acquire(() => tf.zeros([3]))
            const b = yield* Scoped.own({ w: tf.ones([2]), more: [tf.ones([1])] })
            const v = yield* Scoped.variable(tf.zeros([2]))
            seen = [a, b.w, b.more[0]!, v]
            return yield* Effect.fail("boom" as const)
          })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.isTrue(seen.every((t) => t.isDisposed))
      assert.strictEqual(count(), before + 1) // the initial value passed to Scoped.variable belongs to the caller
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("acquired tensors are disposed on interruption", () =>
    Effect.gen(function* () {
      const before = count()
      const ready = yield* Deferred.make<tf.Tensor>()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const t = yield* Scoped.acquire(() => tf.ones([4]))
            yield* Deferred.succeed(ready, t)
            return yield* Effect.never
          })
        )
      )
      const t = yield* Deferred.await(ready)
      assert.isFalse(t.isDisposed)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(t.isDisposed)
      assert.strictEqual(count(), before)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("tidy keeps the result's tensors and frees the rest; on failure frees all", () =>
    Effect.gen(function* () {
      const before = count()
      const result = yield* Scoped.tidy(
        Effect.sync(() => {
          const a = tf.ones([2])
          const b = tf.mul(a, 3)
          return { b, label: "x" }
        })
      )
      assert.strictEqual(count(), before + 1)
      assert.deepStrictEqual(Array.from(result.b.dataSync()), [3, 3])
      result.b.dispose()
      const exit = yield* Effect.exit(
        Scoped.tidy(
          Effect.flatMap(
            Effect.sync(() => tf.ones([5])),
            () => Effect.fail("no")
          )
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(count(), before)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("tidy frees its tensors on interruption", () =>
    Effect.gen(function* () {
      const before = count()
      const ready = yield* Deferred.make<tf.Tensor>()
      const fiber = yield* Effect.forkChild(
        Scoped.tidy(
          Effect.gen(function* () {
            const t = tf.ones([3])
            yield* Deferred.succeed(ready, t)
            return yield* Effect.never
          })
        )
      )
      const t = yield* Deferred.await(ready)
      assert.isFalse(t.isDisposed)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(t.isDisposed)
      assert.strictEqual(count(), before)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("noLeaksEffect fails with TensorLeak when an effect leaves tensors behind", () =>
    Effect.gen(function* () {
      let leaked: tf.Tensor | undefined
      const exit = yield* Effect.exit(
        noLeaksEffect(
          Effect.sync(() => (leaked = tf.ones([1]))),
          "leaky"
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "leaky: 1 tensor(s) leaked")
      leaked?.dispose()
      assert.throws(() => noLeaks(() => tf.ones([1])), TensorLeak)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect(
    "the helpers require the Backend service: without a Backend layer it is a type error and no tensor is made",
    () =>
      Effect.gen(function* () {
        const before = count()
        const program = Effect.scoped(Scoped.acquire(() => tf.zeros([2])))
        // @ts-expect-error the Backend service is missing from the context
        const unprovided: Effect.Effect<tf.Tensor, never, never> = program
        const exit = yield* Effect.exit(unprovided)
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "@reidfx/tensor/Backend")
        assert.strictEqual(count(), before)
        const withBackend: Effect.Effect<tf.Tensor, never, Backend.Backend> = program
        const ok = yield* Effect.exit(Effect.provide(withBackend, Backend.layerCpu))
        assert.isTrue(Exit.isSuccess(ok))
      })
  )
})
