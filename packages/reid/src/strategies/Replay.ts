/** `replay`: BoT on the task + an exemplar memory of 2 images per identity, herding (iCaRL's selection). @since 0.3.0 */
import { MemorySpec } from "../baselines/BaselineSpec.ts"
import { withDefault } from "../ProtocolFields.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the BoT objective's `labelSmoothing` (0.1) and `margin` (0.3), the memory's `budget`
 * (`{ kind: perIdentity, size: 2 }`, or `{ kind: total, size: N }`) and `selection` (`herding` or `random`).
 * @category catalog
 */
export const replay = LifelongStrategy.make({
  name: "replay",
  label: "Replay",
  description: "BoT + an exemplar memory of 2 images per identity chosen by herding",
  options: {
    ...botOptions,
    budget: withDefault(MemorySpec.fields.budget, { kind: "perIdentity", size: 2 }),
    selection: withDefault(MemorySpec.fields.selection, "herding")
  },
  method: (o) => ({
    sampler: pk,
    terms: botTermsWith(o),
    joint: false,
    rehearsal: { budget: o.budget, selection: o.selection }
  })
})
