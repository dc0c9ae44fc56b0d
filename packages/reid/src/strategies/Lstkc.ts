/**
 * `lstkc`: LSTKC, long short-term knowledge consolidation (Xu et al. AAAI 2024), as its authors' code runs it:
 * CE (no smoothing) + soft-margin batch-hard triplet on L2-normalised features + the `lstkc` rectification term
 * from the second task, then the adaptive fusion of the new and old models after each task (`lstkc/Lstkc.ts`,
 * `lstkc/Consolidation.ts`, with the files of zhoujiahuan1991/AAAI2024-LSTKC they follow).
 * @since 0.3.0
 */
import * as Lstkc from "../lstkc/Lstkc.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"

/** The entry. @category catalog */
export const lstkc = LifelongStrategy.make({
  name: "lstkc",
  label: "LSTKC",
  description:
    "CE + soft-margin triplet + LSTKC rectification, adaptive model fusion after each task (Xu et al. AAAI 2024)",
  method: Lstkc.method
})
