/**
 * `{ loss: tripletBatchHard, margin }`: the batch-hard triplet loss (Hermans et al. 2017), `@reidfx/metric`'s
 * `tripletBatchHard`.
 * @since 0.3.0
 */
import { tripletBatchHard as triplet } from "@reidfx/metric"
import { NonNegative, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const tripletBatchHard = ObjectiveTerm.make({
  name: "tripletBatchHard",
  description: "batch-hard triplet loss (Hermans et al. 2017)",
  fields: { margin: withDefault(NonNegative, 0.3) },
  needs: {},
  make: (spec) => [triplet({ margin: spec.margin, weight: spec.weight })]
})
