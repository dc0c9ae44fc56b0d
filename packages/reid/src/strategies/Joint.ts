/** `joint`: BoT trained once on the union of every task (the upper bound). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/** The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3). @category catalog */
export const joint = LifelongStrategy.make({
  name: "joint",
  label: "Joint",
  description: "CE(eps=0.1) + triplet(m=0.3) on all tasks at once (upper bound)",
  options: botOptions,
  method: (o) => ({ sampler: pk, terms: botTermsWith(o), joint: true })
})
