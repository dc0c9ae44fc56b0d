/** `replay`: BoT on the task + an exemplar memory of 2 images per identity, herding (iCaRL's selection). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const replay = LifelongStrategy.make({
  name: "replay",
  label: "Replay",
  description: "BoT + an exemplar memory of 2 images per identity chosen by herding",
  method: {
    sampler: pk,
    terms: botTerms,
    joint: false,
    rehearsal: { budget: { kind: "perIdentity", size: 2 }, selection: "herding" }
  }
})
