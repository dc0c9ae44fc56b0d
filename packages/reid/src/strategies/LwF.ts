/** `lwf`: BoT + Learning without Forgetting (Li and Hoiem 2017), T = 2. @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const lwf = LifelongStrategy.make({
  name: "lwf",
  label: "LwF",
  description: "BoT + LwF(T=2) (Li and Hoiem 2017)",
  method: {
    sampler: pk,
    terms: [...botTerms, { loss: "lwf", temperature: 2, weight: 1 }],
    firstTask: "withoutOldModelTerms",
    joint: false
  }
})
