/** `bot-ft`: the strong baseline fine-tuned task after task (the lower bound). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const botFt = LifelongStrategy.make({
  name: "bot-ft",
  label: "BoT-FT",
  description: "CE(eps=0.1) + triplet(m=0.3), fine-tuned task after task",
  method: { sampler: pk, terms: botTerms, joint: false }
})
