/** `dwopp`: DMML + 1 * DwoPP(T=1) (`CL_DwoPP.sh`, Wang et al. 2022). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { dmmlAuthors, episodic } from "./Recipes.ts"

/** The entry. @category catalog */
export const dwopp = LifelongStrategy.make({
  name: "dwopp",
  label: "DwoPP",
  description: "DMML + DwoPP(T=1): prototype distillation without positive pairs (Wang et al. 2022)",
  method: {
    sampler: episodic,
    terms: [dmmlAuthors, { loss: "dwopp", temperature: 1, weight: 1 }],
    firstTask: "withoutOldModelTerms",
    joint: false
  }
})
