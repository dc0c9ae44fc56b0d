/**
 * The catalog entry of a weight regulariser (EWC, MAS, SI, ...): what a regulariser file exports so that a method
 * can declare `regularizer: { kind: <name>, ...options }`. An entry gives its options Schema, its state (owned by
 * the method's model, never by the learner), the penalty term it adds, and what it does at each point of a task:
 * at its start, around each optimizer update, and at its end (with the importance pass over the task's batches it
 * asks for), and its state between tasks as named arrays (saved with a run's checkpoint, see `Persistence.ts`).
 * `baselines/Strategy.ts` calls these hooks; it switches over no name.
 * @since 0.3.0
 */
import type { Term } from "@reidfx/metric"
import type { Registry } from "@reidfx/tensor"
import type { Schema } from "effect"
import type { NamedVariable, ParameterValues } from "./Parameters.ts"

/** What a regulariser gets at the end of a task. @category models */
export interface TaskEnd {
  readonly variables: ReadonlyArray<NamedVariable>
  /** The parameters at the end of the task. */
  readonly anchor: ParameterValues
  /** The importance pass's mean of `f(gradient)` over the task's batches (see `importance`); empty without one. */
  readonly importance: (f: (g: number) => number) => ParameterValues
}

/** A catalog entry of a weight regulariser. @category models */
export interface Regularizer<Name extends string = string, S extends Schema.Top = Schema.Top, State = unknown>
  extends Registry.Entry {
  readonly name: Name
  /** The options Schema (`{ kind: <name>, lambda, ... }`). */
  readonly spec: S
  /** The gradients the end-of-task importance pass takes: of the task's objective, of the output norm, or none. */
  readonly importance?: "objective" | "outputNorm"
  /** A fresh state. */
  create(): State
  /** The penalty terms of a task (none before the first anchor). */
  penalty(spec: S["Type"], state: State, variables: ReadonlyArray<NamedVariable>): ReadonlyArray<Term.Term<never>>
  /** Called at the start of a task's training. */
  startTask?(state: State, values: ParameterValues): void
  /** Called around each optimizer update (SI's path integral). */
  readonly step?: {
    before(state: State, values: ParameterValues): void
    after(state: State, values: ParameterValues, gradients: ParameterValues): void
  }
  /** The state after a task. */
  endTask(spec: S["Type"], state: State, end: TaskEnd): State
  /**
   * The state between tasks as named arrays (saved with a run's checkpoint; the within-task part, e.g. SI's
   * running path integral, is not: it restarts with each task).
   */
  toArrays(state: State): ReadonlyMap<string, Float32Array>
  /** The state saved by `toArrays` (a fresh state when nothing was saved). */
  fromArrays(arrays: ReadonlyMap<string, Float32Array>): State
}

/** Any regulariser entry. @category models */
// biome-ignore lint/suspicious/noExplicitAny: the catalog holds entries of every state type
export type Any = Regularizer<string, any, any>

/** An entry (the identity, for inference). @category constructors */
export const make = <const Name extends string, S extends Schema.Top, State>(
  entry: Regularizer<Name, S, State>
): Regularizer<Name, S, State> => entry
