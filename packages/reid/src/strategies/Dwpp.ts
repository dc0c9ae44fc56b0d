/** `dwpp`: DMML + 1 * DwPP(T=10, eps 1e-5) (the DwoPP authors' `CL_DwPP.sh`). @since 0.3.0 */
import { NonNegative, Positive, withDefault } from "../ProtocolFields.ts"
import { dwpp as dwppTerm } from "../terms/Dwpp.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { dmmlAuthorsWith, dmmlOptions, episodic } from "./Recipes.ts"

/**
 * The entry; options: DMML's `margin` (0.4) and `featureDecay` (0.0005), DwPP's `temperature` (10), `smoothing`
 * (1e-5), `weight` (1) and `clamp` (the KL floor; absent: exact KL). @category catalog
 */
export const dwpp = LifelongStrategy.make({
  name: "dwpp",
  label: "DwPP",
  description: "DMML + DwPP(T=10, eps 1e-5): prototype distillation with positive pairs",
  options: {
    ...dmmlOptions,
    temperature: withDefault(Positive, 10),
    smoothing: withDefault(NonNegative, 1e-5),
    weight: withDefault(Positive, 1),
    clamp: dwppTerm.fields.clamp
  },
  method: (o) => ({
    sampler: episodic,
    terms: [
      dmmlAuthorsWith(o),
      {
        loss: "dwpp",
        temperature: o.temperature,
        smoothing: o.smoothing,
        ...(o.clamp === undefined ? {} : { clamp: o.clamp }),
        weight: o.weight
      }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  })
})
