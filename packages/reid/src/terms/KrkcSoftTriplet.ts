/**
 * `{ loss: krkcSoftTriplet, margin }`: KRKC's soft triplet (Yu et al. AAAI 2023; `@reidfx/distill`'s
 * `krkcSoftTriplet`): batch-hard Euclidean distances of the raw features, `-m log p_ap - (1 - m) log p_an` of
 * their two-way softmax (cly234/LReID-KRKC `reid/loss/triplet.py` `SoftTripletLoss`, `--margin 0.3`).
 * @since 0.4.0
 */
import * as Distill from "@reidfx/distill"
import { Probability, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const krkcSoftTriplet = ObjectiveTerm.make({
  name: "krkcSoftTriplet",
  description: "KRKC's soft triplet (Yu et al. AAAI 2023): -m log p_ap - (1 - m) log p_an of the batch-hard pair",
  fields: { margin: withDefault(Probability, 0.3) },
  needs: {},
  make: (spec) => [Distill.krkcSoftTriplet({ margin: spec.margin, weight: spec.weight })]
})
