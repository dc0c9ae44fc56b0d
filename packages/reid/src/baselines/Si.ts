/**
 * Synaptic intelligence (Zenke, Poole & Ganguli, ICML 2017, "Continual Learning Through Synaptic
 * Intelligence"), as Avalanche implements it (`avalanche/training/plugins/synaptic_intelligence.py`): during a
 * task, the path integral of each parameter's contribution to the loss change,
 *
 *     w_k += g_k(t) (theta_k(t + 1) - theta_k(t))          (after each optimizer step, g the step's gradient)
 *
 * and at the task's end
 *
 *     W_k += c w_k / ((theta_k(end) - theta_k(start))^2 + xi),     Omega_k = min(-W_k, clipTo),     theta* = theta(end)
 *
 * with the penalty `lambda / 2 sum_k Omega_k (theta_k - theta*_k)^2`. Avalanche's values: c = 1, xi = 1e-7,
 * clipTo = 0.001 (Zenke et al. do not clip: `clipTo: Infinity`). The gradient g is that of the whole objective,
 * penalty included, as in Avalanche. This file is the state and its updates; the trainer calls
 * {@link beforeStep} / {@link afterStep} around each optimizer update. @since 0.2.0
 */
import { type ParameterValues, penaltyTerm, prefixed, underPrefix } from "./Parameters.ts"
import { Schema } from "effect"
import { NonNegative, Positive, withDefault } from "../ProtocolFields.ts"
import * as Regularizer from "./Regularizer.ts"

/** Options. @category models */
export interface SiOptions {
  readonly c: number
  readonly damping: number
  readonly clipTo: number
}

/** The running state (mutable within a task). @category models */
export interface SiState {
  /** Parameters at the task's start. */
  start: ParameterValues | undefined
  /** Parameters before the current step. */
  before: ParameterValues | undefined
  /** The task's path integral w. */
  readonly trajectory: Map<string, Float32Array>
  /** W, accumulated over tasks. */
  readonly cumulative: Map<string, Float32Array>
  anchor: ParameterValues | undefined
  importance: ParameterValues | undefined
}

export const make = (): SiState => ({
  start: undefined,
  before: undefined,
  trajectory: new Map(),
  cumulative: new Map(),
  anchor: undefined,
  importance: undefined
})

/** Starts a task at parameters `values` (the path integral restarts). @category math */
export const startTask = (state: SiState, values: ParameterValues): void => {
  state.start = values
  state.trajectory.clear()
  for (const [name, v] of values) state.trajectory.set(name, new Float32Array(v.length))
}

/** Records the parameters before an optimizer step. @category math */
export const beforeStep = (state: SiState, values: ParameterValues): void => {
  state.before = values
}

/** Adds `g (theta_after - theta_before)` of a step. @category math */
export const afterStep = (state: SiState, after: ParameterValues, gradients: ParameterValues): void => {
  const before = state.before
  if (before === undefined) return
  for (const [name, g] of gradients) {
    const w = state.trajectory.get(name)
    const b = before.get(name)
    const a = after.get(name)
    if (w === undefined || b === undefined || a === undefined) continue
    for (let i = 0; i < w.length; i++) w[i]! += g[i]! * (a[i]! - b[i]!)
  }
  state.before = undefined
}

/** Ends a task at parameters `values`: updates W, Omega and the anchor. @category math */
export const endTask = (state: SiState, values: ParameterValues, options: SiOptions): void => {
  const start = state.start ?? values
  const importance = new Map<string, Float32Array>()
  for (const [name, w] of state.trajectory) {
    const end = values.get(name)
    const s = start.get(name)
    if (end === undefined || s === undefined || end.length !== w.length || s.length !== w.length) continue
    const previous = state.cumulative.get(name)
    // a parameter that grew (the classifier) starts its cumulative importance again
    const cum = previous?.length === w.length ? previous : new Float32Array(w.length)
    for (let i = 0; i < w.length; i++) cum[i]! += (options.c * w[i]!) / ((end[i]! - s[i]!) ** 2 + options.damping)
    state.cumulative.set(name, cum)
    importance.set(
      name,
      Float32Array.from(cum, (x) => Math.min(-x, options.clipTo))
    )
  }
  state.importance = importance
  state.anchor = values
}

/** SI (Zenke et al. 2017; Avalanche's `SynapticIntelligencePlugin`: c 1, xi 1e-7, clip 0.001). @category models */
export const SiSpec = Schema.Struct({
  kind: Schema.Literal("si"),
  lambda: Positive,
  damping: withDefault(Positive, 1e-7),
  c: withDefault(Positive, 1),
  /** Omega is clipped to this value (Avalanche 0.001; Zenke et al. do not clip). */
  clipTo: withDefault(NonNegative, 0.001)
})

/** The catalog entry: the path integral around each update; penalty `lambda / 2 sum Omega (theta - theta*)^2`. @category catalog */
export const si = Regularizer.make({
  name: "si",
  description: "SI (Zenke et al. 2017; Avalanche's SynapticIntelligencePlugin)",
  spec: SiSpec,
  create: make,
  penalty: (r, state, variables) =>
    state.anchor === undefined || state.importance === undefined
      ? []
      : [
          penaltyTerm(
            "si",
            { lambda: r.lambda, c: r.c, damping: r.damping, clipTo: r.clipTo },
            variables,
            [{ anchor: state.anchor, importance: state.importance }],
            r.lambda / 2
          )
        ],
  startTask,
  step: { before: beforeStep, after: afterStep },
  endTask: (r, state, end) => {
    endTask(state, end.anchor, r)
    return state
  },
  // W, Omega and the anchor; the path integral w restarts with each task (`startTask`)
  toArrays: (state) =>
    new Map([
      ...prefixed("cumulative", state.cumulative),
      ...prefixed("anchor", state.anchor),
      ...prefixed("importance", state.importance)
    ]),
  fromArrays: (arrays): SiState => ({
    ...make(),
    cumulative: underPrefix("cumulative", arrays) ?? new Map(),
    anchor: underPrefix("anchor", arrays),
    importance: underPrefix("importance", arrays)
  })
})
