/**
 * `{ loss: dwpp, temperature, smoothing }`: distillation with positive pairs: KL of the old and new prototype
 * softmax over the episode's classes. `smoothing`: the authors' `p <- normalize(p + eps / C)` when T != 1 (eps
 * 1e-5 in `CL_train_DwoPP.py`). `@reidfx/distill`'s `dwpp`, from the old model.
 * @since 0.3.0
 */
import * as Distill from "@reidfx/distill"
import { Schema } from "effect"
import { NonNegative, Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const dwpp = ObjectiveTerm.make({
  name: "dwpp",
  description: "distillation with positive pairs: KL of the old and new prototype softmax over the episode",
  fields: { temperature: withDefault(Positive, 10), smoothing: Schema.optionalKey(NonNegative) },
  needs: { oldModel: "whole", episodic: true },
  makeWithOldModel: (spec) => [
    Distill.dwpp({
      temperature: spec.temperature,
      weight: spec.weight,
      ...(spec.smoothing === undefined ? {} : { smoothing: spec.smoothing })
    })
  ]
})
