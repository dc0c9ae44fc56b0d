/** `si`: BoT + 1 * SI (c 1, xi 1e-7, clip 0.001; Zenke et al. 2017, Avalanche's values). The weight 1 is a first guess. @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const si = LifelongStrategy.make({
  name: "si",
  label: "SI",
  description: "BoT + 1 * SI (Zenke et al. 2017)",
  method: {
    sampler: pk,
    terms: botTerms,
    joint: false,
    regularizer: { kind: "si", lambda: 1, damping: 1e-7, c: 1, clipTo: 0.001 }
  }
})
