/**
 * `{ loss: dwopp, temperature, smoothing }`: distillation without positive pairs (Wang et al. 2022): the KL of
 * the old and new prototype softmax over the episode's classes without the query's own. `@reidfx/distill`'s
 * `dwopp`, from the old model.
 * @since 0.3.0
 */
import * as Distill from "@reidfx/distill"
import { Schema } from "effect"
import { NonNegative, Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const dwopp = ObjectiveTerm.make({
  name: "dwopp",
  description: "distillation without positive pairs (Wang et al. 2022)",
  fields: { temperature: withDefault(Positive, 1), smoothing: Schema.optionalKey(NonNegative) },
  needs: { oldModel: "whole", episodic: true },
  makeWithOldModel: (spec) => [
    Distill.dwopp({
      temperature: spec.temperature,
      weight: spec.weight,
      ...(spec.smoothing === undefined ? {} : { smoothing: spec.smoothing })
    })
  ]
})
