/** `dwpp`: DMML + 1 * DwPP(T=10, eps 1e-5) (the DwoPP authors' `CL_DwPP.sh`). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { dmmlAuthors, episodic } from "./Recipes.ts"

/** The entry. @category catalog */
export const dwpp = LifelongStrategy.make({
  name: "dwpp",
  label: "DwPP",
  description: "DMML + DwPP(T=10, eps 1e-5): prototype distillation with positive pairs",
  method: {
    sampler: episodic,
    terms: [dmmlAuthors, { loss: "dwpp", temperature: 10, smoothing: 1e-5, weight: 1 }],
    firstTask: "withoutOldModelTerms",
    joint: false
  }
})
