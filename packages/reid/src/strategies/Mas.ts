/** `mas`: BoT + 1 * MAS (alpha 0.5; Aljundi et al. 2018, Avalanche's defaults). @since 0.3.0 */
import { MasSpec } from "../baselines/BaselineSpec.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3), MAS's `lambda` (1) and
 * `alpha` (the importance's running-average rate, 0.5). @category catalog
 */
export const mas = LifelongStrategy.make({
  name: "mas",
  label: "MAS",
  description: "BoT + 1 * MAS (Aljundi et al. 2018)",
  options: { ...botOptions, lambda: MasSpec.fields.lambda, alpha: MasSpec.fields.alpha },
  method: (o) => ({
    sampler: pk,
    terms: botTermsWith(o),
    joint: false,
    regularizer: { kind: "mas", lambda: o.lambda, alpha: o.alpha }
  })
})
