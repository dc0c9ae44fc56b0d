/**
 * `krkc`: KRKC, knowledge refreshing and consolidation (Yu et al. AAAI 2023), as its authors' code runs it: a
 * knowledge network trained beside the model in the same step (mutual calibration), a replay memory of 2
 * exemplars per identity, and model space consolidation after each task (`krkc/Krkc.ts`, `krkc/Companion.ts`,
 * with the files of cly234/LReID-KRKC they follow).
 * @since 0.4.0
 */
import { MemorySpec } from "../baselines/BaselineSpec.ts"
import { CompanionSpec } from "../krkc/Companion.ts"
import * as Krkc from "../krkc/Krkc.ts"
import { Positive, withDefault } from "../ProtocolFields.ts"
import { krkcCalibration } from "../terms/KrkcCalibration.ts"
import { krkcSoftTriplet } from "../terms/KrkcSoftTriplet.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions } from "./Recipes.ts"

/**
 * The entry; options (defaults: the authors', `Krkc.method`): the CE's `labelSmoothing` (0.1), the soft triplet's
 * `margin` (0.3), the JS calibration's `temperature` (2) and `weight` (1), the replay memory's `budget` (2 per
 * identity) and `selection` (herding), the knowledge network's `learningRate` (0.1x) and `lastTaskLearningRate`
 * (0.01x). @category catalog
 */
export const krkc = LifelongStrategy.make({
  name: "krkc",
  label: "KRKC",
  description:
    "CE + soft triplet, a knowledge network trained beside the model with JS calibration, replay 2/identity, model fusion (Yu et al. AAAI 2023)",
  options: {
    labelSmoothing: botOptions.labelSmoothing,
    margin: krkcSoftTriplet.fields.margin,
    temperature: krkcCalibration.fields.temperature,
    weight: withDefault(Positive, 1),
    budget: withDefault(MemorySpec.fields.budget, { kind: "perIdentity", size: 2 }),
    selection: withDefault(MemorySpec.fields.selection, "herding"),
    learningRate: CompanionSpec.fields.learningRate,
    lastTaskLearningRate: CompanionSpec.fields.lastTaskLearningRate
  },
  method: (o) => {
    const { name: _n, label: _l, ...method } = Krkc.method
    return {
      ...method,
      terms: [
        { loss: "crossEntropy", labelSmoothing: o.labelSmoothing, weight: 1 },
        { loss: "krkcSoftTriplet", margin: o.margin, weight: 1 },
        { loss: "krkcCalibration", temperature: o.temperature, weight: o.weight }
      ],
      rehearsal: { budget: o.budget, selection: o.selection },
      companion: { kind: "krkc", learningRate: o.learningRate, lastTaskLearningRate: o.lastTaskLearningRate }
    }
  }
})
