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
import { type ParameterValues, combine } from "./Parameters.ts"

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
export const update = (state: EwcState, fisher: ParameterValues, anchor: ParameterValues, options: EwcOptions): EwcState => {
  if (options.mode === "separate") return { entries: [...state.entries, { anchor, importance: fisher }] }
  const previous = state.entries[0]?.importance
  return { entries: [{ anchor, importance: combine(options.decay, previous, 1, fisher) }] }
}
