/** `dmml-ft`: DMML as in the DwoPP authors' `loss/dmml.py` and `CL_FT.sh`, fine-tuned task after task. @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { dmmlAuthorsWith, dmmlOptions, episodic } from "./Recipes.ts"

/** The entry; options: DMML's `margin` (0.4) and `featureDecay` (0.0005). @category catalog */
export const dmmlFt = LifelongStrategy.make({
  name: "dmml-ft",
  label: "DMML-FT",
  description: "DMML (hard mining, squared euclidean, negatives clamped at 0.4, feature decay 0.0005), fine-tuned",
  options: dmmlOptions,
  method: (o) => ({ sampler: episodic, terms: [dmmlAuthorsWith(o)], joint: false })
})
