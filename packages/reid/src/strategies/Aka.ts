/**
 * `aka`: CE(eps=0.1) + 4 * KD(T=2) + AKA(plasticity 1, stability 0.0005, tanh) (Pu et al. 2021; TPCD/LifelongReID
 * `train_test.py`, `train_p_s.py`, `metagraph_fd.py`). The knowledge graph is the `aka` term's state (`terms/Aka.ts`).
 * @since 0.3.0
 */
import * as LifelongStrategy from "./LifelongStrategy.ts"
import { botTerms, pk } from "./Recipes.ts"

/** The entry. @category catalog */
export const aka = LifelongStrategy.make({
  name: "aka",
  label: "AKA",
  description: "CE + 4 * KD(T=2) + AKA's knowledge-graph plasticity and stability (Pu et al. CVPR 2021)",
  method: {
    sampler: pk,
    terms: [
      botTerms[0]!,
      { loss: "lwf", temperature: 2, weight: 4 },
      {
        loss: "aka",
        vertices: 64,
        sigma: 2,
        plasticity: 1,
        stability: 0.0005,
        margin: 0.3,
        activation: "tanh",
        weight: 1
      }
    ],
    firstTask: "withoutOldModelTerms",
    joint: false
  }
})
