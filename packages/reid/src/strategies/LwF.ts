/** `lwf`: BoT + Learning without Forgetting (Li and Hoiem 2017), T = 2. @since 0.3.0 */
import { Positive, withDefault } from "../ProtocolFields.ts"
import { lwf as lwfTerm } from "../terms/Lwf.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3), LwF's `temperature` (2) and
 * `weight` (1). @category catalog
 */
export const lwf = LifelongStrategy.make({
  name: "lwf",
  label: "LwF",
  description: "BoT + LwF(T=2) (Li and Hoiem 2017)",
  options: { ...botOptions, temperature: lwfTerm.fields.temperature, weight: withDefault(Positive, 1) },
  method: (o) => ({
    sampler: pk,
    terms: [...botTermsWith(o), { loss: "lwf", temperature: o.temperature, weight: o.weight }],
    firstTask: "withoutOldModelTerms",
    joint: false
  })
})
