/**
 * `patchkd`: PatchKD, patch-based knowledge distillation (Sun & Mu, ACM MM 2022), as its authors' code runs it: a
 * patch network picks K locations of the backbone's map per image, distilled through per-task patch classifiers
 * and the old model's classifiers (`patchkd/Method.ts`, `patchkd/PatchKd.ts`, with the files of
 * feifeiobama/PatchKD they follow).
 * @since 0.4.0
 */
import * as PatchKd from "../patchkd/Method.ts"
import { patchKd } from "../terms/PatchKd.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions } from "./Recipes.ts"

/**
 * The entry; options (defaults: the authors', `patchkd/Method.ts`): the CE's `labelSmoothing` (0.1), the
 * triplet's `margin` (0.3), and the `patchKd` term's `patches` (3), `temperature` (2) and weights `logit` (1),
 * `patch` (0.1), `relation` (100), `diversity` (0.5), `confidence` (1). @category catalog
 */
export const patchkd = LifelongStrategy.make({
  name: "patchkd",
  label: "PatchKD",
  description:
    "BoT + PatchKD's logit / patch / relational distillation, patch diversity and confidence (Sun & Mu, ACM MM 2022)",
  options: { ...botOptions, ...patchKd.fields },
  method: (o) => PatchKd.methodWith(o)
})
