/** `ewc`: BoT + 100 * online EWC (gamma 1; Kirkpatrick et al. 2017, Avalanche's plugin). The weight 100 is a first guess. @since 0.3.0 */
import { EwcSpec } from "../baselines/BaselineSpec.ts"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3), EWC's `lambda` (100),
 * `mode` (`online` or `separate`) and `decay` (gamma of the online mode, 1). @category catalog
 */
export const ewc = LifelongStrategy.make({
  name: "ewc",
  label: "EWC",
  description: "BoT + 100 * online EWC (Kirkpatrick et al. 2017)",
  options: {
    ...botOptions,
    lambda: withDefault(Positive, 100),
    mode: EwcSpec.fields.mode,
    decay: EwcSpec.fields.decay
  },
  method: (o) => ({
    sampler: pk,
    terms: botTermsWith(o),
    joint: false,
    regularizer: { kind: "ewc", lambda: o.lambda, mode: o.mode, decay: o.decay }
  })
})
