/**
 * `aka`: CE(eps=0.1) + 4 * KD(T=2) + AKA(plasticity 1, stability 0.0005, tanh) (Pu et al. 2021; TPCD/LifelongReID
 * `train_test.py`, `train_p_s.py`, `metagraph_fd.py`). The knowledge graph is the `aka` term's state (`terms/Aka.ts`).
 * @since 0.3.0
 */
import { Schema } from "effect"
import { Positive, withDefault } from "../ProtocolFields.ts"
import { aka as akaTerm } from "../terms/Aka.ts"
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botOptions, botTermsWith, pk } from "./Recipes.ts"

/**
 * The entry; options: the CE's `labelSmoothing` (0.1), the KD's `kdWeight` (4) and `kdTemperature` (2), and the
 * `aka` term's `vertices` (64), `sigma` (2), `plasticity` (1), `stability` (0.0005), `margin` (0.3), `activation`
 * (`tanh`) and `weight` (1). @category catalog
 */
export const aka = LifelongStrategy.make({
  name: "aka",
  label: "AKA",
  description: "CE + 4 * KD(T=2) + AKA's knowledge-graph plasticity and stability (Pu et al. CVPR 2021)",
  options: {
    labelSmoothing: botOptions.labelSmoothing,
    kdWeight: withDefault(Positive, 4),
    kdTemperature: withDefault(Positive, 2),
    vertices: akaTerm.fields.vertices,
    sigma: akaTerm.fields.sigma,
    plasticity: akaTerm.fields.plasticity,
    stability: akaTerm.fields.stability,
    margin: akaTerm.fields.margin,
    activation: withDefault(Schema.Literals(["tanh", "none"]), "tanh"),
    weight: withDefault(Positive, 1)
  },
  method: (o) => ({
    sampler: pk,
    terms: [
      botTermsWith({ labelSmoothing: o.labelSmoothing, margin: 0.3 })[0]!,
      { loss: "lwf", temperature: o.kdTemperature, weight: o.kdWeight },
      {
        loss: "aka",
        vertices: o.vertices,
        sigma: o.sigma,
        plasticity: o.plasticity,
        stability: o.stability,
        margin: o.margin,
        activation: o.activation,
        weight: o.weight
      }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  })
})
