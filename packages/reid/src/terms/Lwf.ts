/**
 * `{ loss: lwf, temperature }`: Learning without Forgetting (Li and Hoiem 2017): the old model's logits on the
 * old classes, temperature T (`@reidfx/distill`'s `lwf`, from the old model).
 * @since 0.3.0
 */
import * as Distill from "@reidfx/distill"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const lwf = ObjectiveTerm.make({
  name: "lwf",
  description: "Learning without Forgetting (Li and Hoiem 2017): distils the old model's logits",
  fields: { temperature: withDefault(Positive, 2) },
  needs: { oldModel: "whole" },
  makeWithOldModel: (spec) => [Distill.lwf({ temperature: spec.temperature, weight: spec.weight })]
})
