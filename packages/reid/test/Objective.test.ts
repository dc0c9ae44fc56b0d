/**
 * Old-model terms are `Term<OldModel>`: an Objective with DwoPP requires the `OldModel` service (a compile-time
 * check, kept honest by `@ts-expect-error`), and the learner builds it only when an old model exists.
 */
import { describe, expect, it } from "@effect/vitest"
import { dwopp, type OldModel } from "@reidfx/distill"
import { dmml, Objective } from "@reidfx/metric"
import { Backend } from "@reidfx/tensor"
import { Effect, Layer, Option } from "effect"
import { objectiveFor } from "../src/reid/ReidLearner.ts"
import * as Strategy from "../src/Strategy.ts"

describe("old-model terms", () => {
  it("an Objective with DwoPP does not run until an OldModel is provided (types)", () => {
    const objective = Objective.make(dmml(), dwopp())
    const needsOldModel: Effect.Effect<Objective.ObjectiveService, never, OldModel> = objective
    // @ts-expect-error the OldModel requirement is not satisfied
    const runnable: Effect.Effect<Objective.ObjectiveService, never, never> = objective
    expect(needsOldModel).toBe(runnable)
  })

  it.effect("on the first task the learner's Objective leaves the old-model terms out", () =>
    Effect.gen(function* () {
      const terms = Strategy.termsForTask(Strategy.builtins.dwopp, false)
      const objective = yield* objectiveFor(terms, undefined, Option.none())
      expect(objective.terms.map((t) => t.name)).toEqual(["dmml"])
      // all of them, with the terms list of a later task but no old model, still builds only what it can
      const later = yield* objectiveFor(Strategy.builtins.dwopp.terms, undefined, Option.none())
      expect(later.terms.map((t) => t.name)).toEqual(["dmml"])
    })
  )
})

describe("catalogued metric terms", () => {
  it.effect(
    "a protocol's { loss: metric } term builds the named loss; class losses take the model's classes and size",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(Backend.layerCpu)
          const objective = yield* objectiveFor(
            [
              { loss: "crossEntropy", labelSmoothing: 0.1, weight: 1 },
              { loss: "metric", name: "multiSimilarity", options: { alpha: 3 }, weight: 0.5 },
              { loss: "metric", name: "proxyAnchor", options: {}, weight: 1 }
            ],
            undefined,
            Option.none(),
            { classes: 5, dimension: 8 }
          )
          expect(objective.formula).toBe(
            "1 * crossEntropyLabelSmooth(epsilon=0.1) + 0.5 * multiSimilarity(alpha=3, beta=50, base=0.5) + 1 * proxyAnchor(classes=5, dimension=8, margin=0.1, alpha=32)"
          )
          expect(objective.variables?.map((v) => v.shape)).toEqual([[5, 8]])
        })
      )
  )
  it("Strategy.formula prints a metric term's options", () => {
    expect(Strategy.formula([{ loss: "metric", name: "ntXent", options: { temperature: 0.1 }, weight: 1 }])).toBe(
      '1 * metric(name=ntXent, options={"temperature":0.1})'
    )
  })
})
