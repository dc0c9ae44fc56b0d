/**
 * `{ loss: dmml, margin, marginMode, mode, distance, featureDecay }`: the DMML episodic loss (Chen et al. ICCV
 * 2019): a softmax of each query over the episode's set distances (defaults: hard mining, euclidean, margin 0 on
 * the own class, no feature decay). `marginMode`: `ownClass` adds the margin to the query's own-class distance
 * (the paper's formula); `clampNegatives` uses `max(d - margin, 0)` for the other classes (the DwoPP authors'
 * `loss/dmml.py`). `distance: negativeDot` is the official DMML code's "cosine" (`-x . y` of unnormalised
 * features). `@reidfx/metric`'s `dmml`.
 * @since 0.3.0
 */
import { dmml as dmmlLoss } from "@reidfx/metric"
import { Schema } from "effect"
import { NonNegative, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const dmml = ObjectiveTerm.make({
  name: "dmml",
  description: "the DMML episodic loss (Chen et al. ICCV 2019)",
  fields: {
    margin: withDefault(NonNegative, 0),
    marginMode: Schema.optionalKey(Schema.Literals(["ownClass", "clampNegatives"])),
    mode: Schema.optionalKey(Schema.Literals(["hardMining", "centerSupport"])),
    distance: Schema.optionalKey(Schema.Literals(["euclidean", "squaredEuclidean", "cosine", "negativeDot"])),
    featureDecay: Schema.optionalKey(NonNegative)
  },
  needs: { episodic: true },
  make: (spec) => [
    dmmlLoss({
      margin: spec.margin,
      ...(spec.marginMode === undefined ? {} : { marginMode: spec.marginMode }),
      ...(spec.mode === undefined ? {} : { mode: spec.mode }),
      ...(spec.distance === undefined ? {} : { distance: spec.distance }),
      ...(spec.featureDecay === undefined ? {} : { featureDecay: spec.featureDecay }),
      weight: spec.weight
    })
  ]
})
