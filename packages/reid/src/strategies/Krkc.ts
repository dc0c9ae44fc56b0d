/**
 * `krkc`: KRKC, knowledge refreshing and consolidation (Yu et al. AAAI 2023), as its authors' code runs it: a
 * knowledge network trained beside the model in the same step (mutual calibration), a replay memory of 2
 * exemplars per identity, and model space consolidation after each task (`krkc/Krkc.ts`, `krkc/Companion.ts`,
 * with the files of cly234/LReID-KRKC they follow).
 * @since 0.4.0
 */
import * as Krkc from "../krkc/Krkc.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"

/** The entry. @category catalog */
export const krkc = LifelongStrategy.make({
  name: "krkc",
  label: "KRKC",
  description:
    "CE + soft triplet, a knowledge network trained beside the model with JS calibration, replay 2/identity, model fusion (Yu et al. AAAI 2023)",
  method: Krkc.method
})
