/**
 * `{ loss: lstkc, temperature }`: LSTKC's long-short-term knowledge rectification (Xu et al. AAAI 2024;
 * `@reidfx/distill`'s `lstkc`, from the old model): KL from the rectified batch affinity to the new model's,
 * softmax of cosine similarities over `temperature` (the authors' `Norm=0.1`, `reid/trainer.py`).
 * @since 0.3.0
 */
import * as Distill from "@reidfx/distill"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const lstkc = ObjectiveTerm.make({
  name: "lstkc",
  description: "LSTKC (Xu et al. AAAI 2024): KL to the old/new rectified batch affinity",
  fields: { temperature: withDefault(Positive, 0.1) },
  needs: { oldModel: "whole" },
  makeWithOldModel: (spec) => [Distill.lstkc({ temperature: spec.temperature, weight: spec.weight })]
})
