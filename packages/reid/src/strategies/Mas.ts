/** `mas`: BoT + 1 * MAS (alpha 0.5; Aljundi et al. 2018, Avalanche's defaults). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const mas = LifelongStrategy.make({
  name: "mas",
  label: "MAS",
  description: "BoT + 1 * MAS (Aljundi et al. 2018)",
  method: { sampler: pk, terms: botTerms, joint: false, regularizer: { kind: "mas", lambda: 1, alpha: 0.5 } }
})
