/** `si`: BoT + 1 * SI (c 1, xi 1e-7, clip 0.001; Zenke et al. 2017, Avalanche's values). The weight 1 is a first guess. @since 0.3.0 */
import { SiSpec } from "../baselines/BaselineSpec.ts"
import { Positive, withDefault } from "../ProtocolFields.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3), SI's `lambda` (1), `damping`
 * (xi, 1e-7), `c` (1) and `clipTo` (0.001). @category catalog
 */
export const si = LifelongStrategy.make({
  name: "si",
  label: "SI",
  description: "BoT + 1 * SI (Zenke et al. 2017)",
  options: {
    ...botOptions,
    lambda: withDefault(Positive, 1),
    damping: SiSpec.fields.damping,
    c: SiSpec.fields.c,
    clipTo: SiSpec.fields.clipTo
  },
  method: (o) => ({
    sampler: pk,
    terms: botTermsWith(o),
    joint: false,
    regularizer: { kind: "si", lambda: o.lambda, damping: o.damping, c: o.c, clipTo: o.clipTo }
  })
})
