/**
 * `{ loss: crossEntropy, labelSmoothing }`: cross-entropy with label smoothing (Szegedy et al. 2016) on the
 * classifier's logits, `@reidfx/metric`'s `crossEntropyLabelSmooth`.
 * @since 0.3.0
 */
import { crossEntropyLabelSmooth } from "@reidfx/metric"
import { Probability, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const crossEntropy = ObjectiveTerm.make({
  name: "crossEntropy",
  description: "cross-entropy with label smoothing on the classifier's logits (Szegedy et al. 2016)",
  fields: { labelSmoothing: withDefault(Probability, 0.1) },
  needs: { classifier: true },
  make: (spec) => [crossEntropyLabelSmooth({ epsilon: spec.labelSmoothing, weight: spec.weight })]
})
