/** `ewc`: BoT + 100 * online EWC (gamma 1; Kirkpatrick et al. 2017, Avalanche's plugin). The weight 100 is a first guess. @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const ewc = LifelongStrategy.make({
  name: "ewc",
  label: "EWC",
  description: "BoT + 100 * online EWC (Kirkpatrick et al. 2017)",
  method: {
    sampler: pk,
    terms: botTerms,
    joint: false,
    regularizer: { kind: "ewc", lambda: 100, mode: "online", decay: 1 }
  }
})
