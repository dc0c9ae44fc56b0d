/**
 * `lstkc`: LSTKC, long short-term knowledge consolidation (Xu et al. AAAI 2024), as its authors' code runs it:
 * CE (no smoothing) + soft-margin batch-hard triplet on L2-normalised features + the `lstkc` rectification term
 * from the second task, then the adaptive fusion of the new and old models after each task (`lstkc/Lstkc.ts`,
 * `lstkc/Consolidation.ts`, with the files of zhoujiahuan1991/AAAI2024-LSTKC they follow).
 * @since 0.3.0
 */
import { ConsolidationSpec } from "../lstkc/Consolidation.ts"
import * as Lstkc from "../lstkc/Lstkc.ts"
import { Positive, Probability, withDefault } from "../ProtocolFields.ts"
import { lstkc as lstkcTerm } from "../terms/Lstkc.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"

/**
 * The entry; options (defaults: the authors', `Lstkc.method`): the CE's `labelSmoothing` (0), the rectification's
 * `temperature` (tau, 0.1) and `weight` (`AF_weight`, 1), the fusion's `scale` (`Norm`, 100). @category catalog
 */
export const lstkc = LifelongStrategy.make({
  name: "lstkc",
  label: "LSTKC",
  description:
    "CE + soft-margin triplet + LSTKC rectification, adaptive model fusion after each task (Xu et al. AAAI 2024)",
  options: {
    labelSmoothing: withDefault(Probability, 0),
    temperature: lstkcTerm.fields.temperature,
    weight: withDefault(Positive, 1),
    scale: ConsolidationSpec.fields.scale
  },
  method: (o) => {
    const { name: _n, label: _l, ...method } = Lstkc.method
    const [, triplet] = method.terms
    return {
      ...method,
      terms: [
        { loss: "crossEntropy", labelSmoothing: o.labelSmoothing, weight: 1 },
        triplet!,
        { loss: "lstkc", temperature: o.temperature, weight: o.weight }
      ],
      consolidation: { kind: "lstkc", scale: o.scale }
    }
  }
})
