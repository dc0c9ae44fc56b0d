/**
 * `{ loss: krkcCalibration, temperature }`: KRKC's knowledge calibration (Yu et al. AAAI 2023; `@reidfx/distill`'s
 * `krkcCalibration`, cly234/LReID-KRKC `reid/trainer.py` `loss_kd_js`, T = 2): the Jensen-Shannon-style
 * divergence between a learner's logits and its companion's, in the two-learner step of a method with a
 * `companion` (`krkc/Companion.ts`). Like the old-model terms it is left out of the first task, where no
 * companion exists yet (the companion starts as the model that the old model also froze).
 * @since 0.4.0
 */
import * as Distill from "@reidfx/distill"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const krkcCalibration = ObjectiveTerm.make({
  name: "krkcCalibration",
  description: "KRKC's knowledge calibration (Yu et al. AAAI 2023): JS-style divergence to the companion's logits",
  fields: { temperature: withDefault(Positive, 2) },
  needs: { oldModel: "whole", classifier: true },
  makeWithOldModel: (spec) => [Distill.krkcCalibration({ temperature: spec.temperature, weight: spec.weight })]
})
