/**
 * `Backend` is required by the types (issue 12, item 5): a model's variables live on the backend a `Backend` layer
 * made active, so making a model without the layer does not typecheck (the `@ts-expect-error` line is checked by
 * `npm run typecheck`: it fails the build if the requirement goes away), and fails at run time naming the service
 * before any variable is made (in a fresh process no tfjs backend is even registered then).
 */
import { assert, describe, it } from "@effect/vitest"
import { Backend, type InvalidOption } from "@reidfx/tensor"
import { Effect, Exit, type Layer } from "effect"
import { Model } from "../src/index.ts"

const tiny = {
  backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  head: { classes: 5, neck: "bnneck" }
} as const

describe("Backend is required by the types", () => {
  it.effect(
    "Model.make without a Backend layer is a type error and fails naming the service; with it, the model is made",
    () =>
      Effect.gen(function* () {
        const program = Effect.scoped(Effect.map(Model.make(tiny), (m) => m.trainableVariables.length))
        // @ts-expect-error the Backend service is missing from the context
        const unprovided: Effect.Effect<number, InvalidOption, never> = program
        const exit = yield* Effect.exit(unprovided)
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "@reidfx/tensor/Backend")
        const withBackend: Effect.Effect<number, InvalidOption, Backend.Backend> = program
        // trainable variables: stem conv + BN gamma, beta (3); layer 1's block: 2 x (conv, gamma, beta) (6); layer 2's
        // block: the same plus its projection conv + BN (9); the BNNeck's gamma (its beta is frozen, BoT) and the
        // bias-free classifier (2)
        assert.strictEqual(yield* Effect.provide(withBackend, Backend.layerCpu), 3 + 6 + 9 + 2)
        const layer = Model.layer(tiny)
        // @ts-expect-error Model.layer requires the Backend service too
        const _layerWithout: Layer.Layer<Model.Model, InvalidOption, never> = layer
      })
  )
})
