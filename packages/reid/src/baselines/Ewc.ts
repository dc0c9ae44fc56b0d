/**
 * Elastic weight consolidation (Kirkpatrick et al., PNAS 2017, "Overcoming catastrophic forgetting in neural
 * networks"), as Avalanche implements it (`avalanche/training/plugins/ewc.py`, `EWCPlugin`): after each task the
 * diagonal empirical Fisher of the task's loss,
 *
 *     F_k = 1/B sum_{batches b} (dL_b / d theta_k)^2
 *
 * (mean over the task's mini-batches of squared mini-batch gradients), and the anchor theta* (the parameters at
 * the end of the task). The penalty on later tasks is
 *
 *     separate:  lambda sum_{t < T} sum_k F^t_k (theta_k - theta^t*_k)^2
 *     online:    lambda sum_k F~_k (theta_k - theta*_k)^2,   F~ <- gamma F~ + F^T  (Schwarz et al. 2018's online EWC)
 *
 * (Avalanche has no 1/2: the paper's lambda/2 is `lambda` halved). This file is the state and its update; the
 * learner computes the gradients. @since 0.2.0
 */
import { combine, type ParameterValues, penaltyTerm, prefixed, underPrefix } from "./Parameters.ts"
import { Schema } from "effect"
import { Positive, Probability, withDefault } from "../ProtocolFields.ts"
import * as Regularizer from "./Regularizer.ts"

/** Options. @category models */
export interface EwcOptions {
  readonly mode: "separate" | "online"
  /** gamma of the online mode (Avalanche's `decay_factor`). */
  readonly decay: number
}

/** The anchors and Fisher diagonals kept. @category models */
export interface EwcState {
  /** One entry per past task (separate), or a single running entry (online). */
  readonly entries: ReadonlyArray<{ readonly anchor: ParameterValues; readonly importance: ParameterValues }>
}

export const empty: EwcState = { entries: [] }

/** The state after a task with Fisher `fisher` and final parameters `anchor`. @category math */
export const update = (
  state: EwcState,
  fisher: ParameterValues,
  anchor: ParameterValues,
  options: EwcOptions
): EwcState => {
  if (options.mode === "separate") return { entries: [...state.entries, { anchor, importance: fisher }] }
  const previous = state.entries[0]?.importance
  return { entries: [{ anchor, importance: combine(options.decay, previous, 1, fisher) }] }
}

/** EWC (Kirkpatrick et al. 2017; Avalanche's `EWCPlugin`). @category models */
export const EwcSpec = Schema.Struct({
  kind: Schema.Literal("ewc"),
  /** The penalty weight lambda (Avalanche's `ewc_lambda`, no default there). */
  lambda: Positive,
  mode: withDefault(Schema.Literals(["separate", "online"]), "online"),
  /** gamma of the online mode (1: plain sum of the tasks' Fisher). */
  decay: withDefault(Probability, 1)
})

/** The catalog entry: the Fisher of the task's objective; penalty `lambda sum F (theta - theta*)^2`. @category catalog */
export const ewc = Regularizer.make({
  name: "ewc",
  description: "EWC (Kirkpatrick et al. 2017; Avalanche's EWCPlugin), separate or online",
  spec: EwcSpec,
  importance: "objective",
  create: (): EwcState => empty,
  penalty: (r, state, variables) =>
    state.entries.length === 0
      ? []
      : [penaltyTerm("ewc", { lambda: r.lambda, mode: r.mode, decay: r.decay }, variables, state.entries, r.lambda)],
  endTask: (r, state, end) =>
    update(
      state,
      end.importance((g) => g * g),
      end.anchor,
      r
    ),
  toArrays: (state) =>
    new Map(
      state.entries.flatMap((e, i) => [
        ...prefixed(`entries/${i}/anchor`, e.anchor),
        ...prefixed(`entries/${i}/importance`, e.importance)
      ])
    ),
  fromArrays: (arrays): EwcState => {
    const entries: Array<EwcState["entries"][number]> = []
    for (let i = 0; ; i++) {
      const anchor = underPrefix(`entries/${i}/anchor`, arrays)
      const importance = underPrefix(`entries/${i}/importance`, arrays)
      if (anchor === undefined || importance === undefined) return { entries }
      entries.push({ anchor, importance })
    }
  }
})
