/**
 * Memory aware synapses (Aljundi, Babiloni, Elhoseiny, Rohrbach & Tuytelaars, ECCV 2018, "Memory Aware
 * Synapses: Learning what (not) to forget"), as Avalanche implements it (`avalanche/training/plugins/mas.py`,
 * after FACIL's `mas.py`): after each task the importance
 *
 *     Omega^T_k = 1/B sum_{batches b} | d/d theta_k  mean_{x in b} ||f(x)||_2^2 |
 *
 * (unsupervised: f is the network's output; here the embedding the method retrieves with), merged with the
 * previous one as `Omega <- alpha Omega + (1 - alpha) Omega^T` (first task: `Omega^1`), and the anchor theta*;
 * the penalty is `lambda sum_k Omega_k (theta_k - theta*_k)^2`. Avalanche's defaults: lambda 1, alpha 0.5.
 * This file is the state and its update; the learner computes the gradients. @since 0.2.0
 */
import { combine, type ParameterValues, penaltyTerm, prefixed, underPrefix } from "./Parameters.ts"
import { Schema } from "effect"
import { Positive, Probability, withDefault } from "../ProtocolFields.ts"
import * as Regularizer from "./Regularizer.ts"

/** The anchor and the merged importance. @category models */
export interface MasState {
  readonly anchor: ParameterValues | undefined
  readonly importance: ParameterValues | undefined
}

export const empty: MasState = { anchor: undefined, importance: undefined }

/** The state after a task (importance `current`, final parameters `anchor`). @category math */
export const update = (
  state: MasState,
  current: ParameterValues,
  anchor: ParameterValues,
  alpha: number
): MasState => ({
  anchor,
  importance: state.importance === undefined ? current : combine(alpha, state.importance, 1 - alpha, current)
})

/** MAS (Aljundi et al. 2018; Avalanche's `MASPlugin`, defaults lambda 1, alpha 0.5). @category models */
export const MasSpec = Schema.Struct({
  kind: Schema.Literal("mas"),
  lambda: withDefault(Positive, 1),
  alpha: withDefault(Probability, 0.5)
})

/** The catalog entry: importance from the output norm's gradients; penalty `lambda sum Omega (theta - theta*)^2`. @category catalog */
export const mas = Regularizer.make({
  name: "mas",
  description: "MAS (Aljundi et al. 2018; Avalanche's MASPlugin)",
  spec: MasSpec,
  importance: "outputNorm",
  create: (): MasState => empty,
  penalty: (r, state, variables) =>
    state.anchor === undefined || state.importance === undefined
      ? []
      : [
          penaltyTerm(
            "mas",
            { lambda: r.lambda, alpha: r.alpha },
            variables,
            [{ anchor: state.anchor, importance: state.importance }],
            r.lambda
          )
        ],
  endTask: (r, state, end) => update(state, end.importance(Math.abs), end.anchor, r.alpha),
  toArrays: (state) => new Map([...prefixed("anchor", state.anchor), ...prefixed("importance", state.importance)]),
  fromArrays: (arrays): MasState => ({
    anchor: underPrefix("anchor", arrays),
    importance: underPrefix("importance", arrays)
  })
})
