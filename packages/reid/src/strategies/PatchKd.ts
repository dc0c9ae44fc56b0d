/**
 * `patchkd`: PatchKD, patch-based knowledge distillation (Sun & Mu, ACM MM 2022), as its authors' code runs it: a
 * patch network picks K locations of the backbone's map per image, distilled through per-task patch classifiers
 * and the old model's classifiers (`patchkd/Method.ts`, `patchkd/PatchKd.ts`, with the files of
 * feifeiobama/PatchKD they follow).
 * @since 0.4.0
 */
import * as PatchKd from "../patchkd/Method.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"

/** The entry. @category catalog */
export const patchkd = LifelongStrategy.make({
  name: "patchkd",
  label: "PatchKD",
  description:
    "BoT + PatchKD's logit / patch / relational distillation, patch diversity and confidence (Sun & Mu, ACM MM 2022)",
  method: PatchKd.method
})
