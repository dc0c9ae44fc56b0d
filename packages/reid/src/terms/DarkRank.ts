/**
 * `{ loss: darkRank, transfer, alpha, beta }`: DarkRank (Chen et al. AAAI 2018) from the old model: the new model
 * learns the old model's ranking of the batch (`@reidfx/distill`'s `darkRank` with the old model as source).
 * @since 0.3.0
 */
import * as Distill from "@reidfx/distill"
import { Schema } from "effect"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const darkRank = ObjectiveTerm.make({
  name: "darkRank",
  description: "DarkRank (Chen et al. AAAI 2018): learns the old model's ranking of the batch",
  fields: {
    transfer: withDefault(Schema.Literals(["soft", "hard"]), "soft"),
    alpha: withDefault(Positive, 12.25),
    beta: withDefault(Positive, 4)
  },
  needs: { oldModel: "whole" },
  makeWithOldModel: (spec) => [
    Distill.darkRank(
      { transfer: spec.transfer, alpha: spec.alpha, beta: spec.beta, weight: spec.weight },
      Distill.Source.oldModel
    )
  ]
})
