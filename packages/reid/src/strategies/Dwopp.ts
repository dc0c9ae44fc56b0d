/** `dwopp`: DMML + 1 * DwoPP(T=1) (`CL_DwoPP.sh`, Wang et al. 2022). @since 0.3.0 */
import { Positive, withDefault } from "../ProtocolFields.ts"
import { dwopp as dwoppTerm } from "../terms/Dwopp.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { dmmlAuthorsWith, dmmlOptions, episodic } from "./Recipes.ts"

/**
 * The entry; options: DMML's `margin` (0.4) and `featureDecay` (0.0005), DwoPP's `temperature` (1), `weight` (1)
 * and `clamp` (the authors' KL floor, `CL_train_DwoPP.py`; absent: exact KL). @category catalog
 */
export const dwopp = LifelongStrategy.make({
  name: "dwopp",
  label: "DwoPP",
  description: "DMML + DwoPP(T=1): prototype distillation without positive pairs (Wang et al. 2022)",
  options: {
    ...dmmlOptions,
    temperature: dwoppTerm.fields.temperature,
    weight: withDefault(Positive, 1),
    clamp: dwoppTerm.fields.clamp
  },
  method: (o) => ({
    sampler: episodic,
    terms: [
      dmmlAuthorsWith(o),
      {
        loss: "dwopp",
        temperature: o.temperature,
        ...(o.clamp === undefined ? {} : { clamp: o.clamp }),
        weight: o.weight
      }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  })
})
