/** The trainer updates the parameters a loss owns (proxies) with the model, and calls the update hook around each update. */
import { describe, expect, it } from "@effect/vitest"
import { Objective, proxyAnchor } from "@reidfx/metric"
import { Model } from "@reidfx/model"
import { Backend, RandomStream } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import { NonFiniteLoss, Optimizer, Trainer } from "../src/index.ts"
import { crossEntropy, makeBatch, tinyModel } from "./fixtures.ts"

describe("term parameters in the trainer", () => {
  it.effect("one step changes the proxies of proxyAnchor; the hook sees the model's and the proxies' variables", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* Model.make(tinyModel)
        const objective = yield* Objective.make(crossEntropy, proxyAnchor({ classes: 4, dimension: model.featureDim }))
        const proxies = objective.variables![0]!
        const before = Array.from(proxies.dataSync())
        const seen: Array<string> = []
        const learner: Trainer.Learner = {
          name: "model",
          model,
          objective,
          optimizer: yield* Optimizer.make({ kind: "sgd", momentum: 0, weightDecay: 0 }),
          schedule: () => 0.1,
          onUpdate: {
            before: (vars, grads) => {
              expect(grads).toHaveLength(vars.length)
              seen.push(`before:${vars.length}`)
            },
            after: (vars) => {
              seen.push(`after:${vars.includes(proxies)}`)
            }
          }
        }
        const batch = makeBatch(RandomStream.fromSeed(0, "batch"))
        const report = Trainer.computeStep([learner], batch, 0)
        tf.dispose([batch.images, batch.labels])
        expect(report instanceof NonFiniteLoss).toBe(false)
        const after = Array.from(proxies.dataSync())
        expect(after.some((v, i) => v !== before[i])).toBe(true)
        expect(seen).toEqual([`before:${model.trainableVariables.length + 1}`, "after:true"])
      }).pipe(Effect.provide(Backend.layerCpu))
    )
  )
})
