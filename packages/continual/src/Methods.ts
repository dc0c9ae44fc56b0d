/**
 * The recipe's methods, as the engine needs them: a protocol's methods resolved (a name to its declaration), how
 * a method is shown in reports, whether its objective needs the old model and which terms it trains on a task,
 * and the protocol as saved in a run folder (`protocol.json`, which a resumed run must match). The engine
 * (`Runner`) requires this service beside `Benchmark` and `Learner`; a recipe provides the three
 * (`@reidfx/reid`'s `ReidLearner.layer` provides its `Learner` and `Methods`).
 *
 * The service is typed by the recipe's protocol and method (`TypedMethodsService<P, M>`) and erased once by
 * {@link typed}, as `Learner.typed` erases the learner's handles: the runner hands back exactly the values it got
 * from `resolve`.
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { RunnableMethod, RunnableProtocol } from "./RunnableProtocol.ts"

/** One method as shown in reports. */
export interface MethodInfo {
  readonly name: string
  readonly label: string
  readonly formula: string
  readonly sampler: string
  readonly joint: boolean
}

/** A recipe's methods, typed by its protocol `P`, method `M` and objective term `T`. */
export interface TypedMethodsService<P extends RunnableProtocol, M extends RunnableMethod, T = unknown> {
  /** The protocol's methods in order, each resolved to its declaration. */
  readonly resolve: (protocol: P) => Effect.Effect<ReadonlyArray<M>>
  /** How the method is shown in reports (label, objective formula, sampler). */
  readonly info: (method: M) => MethodInfo
  /** Whether the method's objective reads the old model (a train stage after the first task then needs one). */
  readonly needsOldModel: (method: M) => Effect.Effect<boolean>
  /** The terms trained on a task, given whether an old model exists (e.g. old-model terms left out on the first task). */
  readonly termsForTask: (method: M, hasOldModel: boolean) => Effect.Effect<ReadonlyArray<T>>
  /** The protocol as JSON, saved as the run folder's `protocol.json` and in `results.json`. */
  readonly encode: (protocol: P) => Effect.Effect<unknown>
}

/** The erased service the engine reads. */
export type MethodsService = TypedMethodsService<RunnableProtocol, RunnableMethod, unknown>

/** Erases a recipe's typed methods (the engine's one cast: it passes back only values `resolve` returned). */
export const typed = <P extends RunnableProtocol, M extends RunnableMethod, T>(
  service: TypedMethodsService<P, M, T>
): MethodsService => service as unknown as MethodsService

/** The recipe's methods, required by `Runner.run`. @category services */
export class Methods extends Context.Service<Methods, MethodsService>()("@reidfx/continual/Methods") {}
