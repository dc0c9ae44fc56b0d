/**
 * The learner requires `Backend` by its types (issue 12, item 5): `ReidLearner.layer` (and so `Lifelong.layer` and
 * `Lifelong.run`) captures the `Backend` service when it is built, so a program that forgets the layer does not
 * typecheck (the `@ts-expect-error` lines are checked by `npm run typecheck`) and, forced, fails when the layer is
 * built, naming the service, instead of training on whatever tfjs backend happens to be current.
 */
import { assert, describe, it } from "@effect/vitest"
import { Learner, type Methods } from "@reidfx/continual"
import { Backend } from "@reidfx/tensor"
import { Effect, Exit, Layer } from "effect"
import * as Lifelong from "../src/Lifelong.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"
import * as Strategy from "../src/Strategy.ts"

const protocol = Effect.runSync(
  ProtocolFile.make({
    name: "backend-required",
    data: {
      split: {
        kind: "intraDomain",
        world: { kind: "synthetic", identities: 12, cameras: 2 },
        tasks: 2,
        unseenIdentities: 2
      }
    },
    model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
    methods: ["bot-ft"]
  })
)

describe("Backend is required by the types", () => {
  it.effect(
    "the learner's layer without a Backend layer is a type error and fails when built, naming the service",
    () =>
      Effect.gen(function* () {
        const layer = ReidLearner.layer(protocol)
        // @ts-expect-error the Backend service is missing
        const unprovided: Layer.Layer<Learner.Learner | Methods.Methods, never, never> = layer
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(unprovided)))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "@reidfx/tensor/Backend")
        // @ts-expect-error Lifelong.layer (benchmark, learner, methods) requires it too
        const _lifelong: Layer.Layer<Lifelong.Services, unknown, never> = Lifelong.layer(protocol)
        // with the layer, the learner is built and its operations require nothing more: a model of 5 classes
        const classes = yield* Effect.scoped(
          Effect.gen(function* () {
            const learner = yield* Learner.Learner
            const handle = yield* learner.create({ protocol, method: Strategy.resolve("bot-ft"), classes: 5 })
            return ReidLearner.modelOf(handle).classes
          })
        ).pipe(Effect.provide(layer.pipe(Layer.provide(Backend.layerCpu))))
        assert.strictEqual(classes, 5)
      })
  )
})
