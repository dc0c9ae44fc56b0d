/** `bot-ft`: the strong baseline fine-tuned task after task (the lower bound). @since 0.3.0 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/** The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3). @category catalog */
export const botFt = LifelongStrategy.make({
  name: "bot-ft",
  label: "BoT-FT",
  description: "CE(eps=0.1) + triplet(m=0.3), fine-tuned task after task",
  options: botOptions,
  method: (o) => ({ sampler: pk, terms: botTermsWith(o), joint: false })
})
