/**
 * The state a rehearsal or regularisation method carries from task to task, owned by the method's model
 * scope (not by the learner): its exemplar memory and its regulariser's anchors and importances, with what the
 * learner calls at each point of a task:
 *
 * | when | rehearsal | EWC / MAS | SI |
 * |---|---|---|---|
 * | before training | the task's items + the memory's, checked (`OldDataBeyondMemory`) | penalty term (after the first task) | penalty term; path integral restarts |
 * | each optimizer update | | | `w += g Δθ` (trainer hook) |
 * | after training | exemplars of the task's identities selected (herding on the retrieval embeddings, or random) | importance from one pass over the task's batches; anchor | Omega; anchor |
 *
 * The penalty is `lambda * sum_k Omega_k (theta_k - theta*_k)^2` (SI: `lambda / 2`, as Avalanche), over the
 * model's trainable variables, named by the model.
 * @since 0.2.0
 */
import { Item } from "@reidfx/data"
import type { Term } from "@reidfx/metric"
import type { RandomStream } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Effect, type Scope } from "effect"
import type { OldDataBeyondMemory } from "../errors.ts"
import type { MethodSpec } from "../Protocol.ts"
import { type RegularizerSpec, regularizers } from "./BaselineSpec.ts"
import * as ExemplarMemory from "./ExemplarMemory.ts"
import { meanOverBatches, type NamedVariable, snapshot } from "./Parameters.ts"
import type * as Regularizer from "./Regularizer.ts"

/** A method's baseline state. @category models */
export interface BaselineState {
  readonly memory: ExemplarMemory.ExemplarMemory<Item.Item> | undefined
  readonly regularizer: RegularizerSpec | undefined
  /** The regulariser's catalog entry and its state (see `Regularizer.ts`). */
  readonly entry: Regularizer.Any | undefined
  state: unknown
}

/** The state of a method (its memory is a resource of the current Scope). @category constructors */
export const make = (method: MethodSpec): Effect.Effect<BaselineState, never, Scope.Scope> =>
  Effect.gen(function* () {
    const memory = method.rehearsal === undefined ? undefined : yield* ExemplarMemory.make<Item.Item>(method.rehearsal)
    const entry = method.regularizer === undefined ? undefined : regularizers.require(method.regularizer.kind)
    return { memory, regularizer: method.regularizer, entry, state: entry?.create() }
  })

/** Whether a method has any baseline state. */
export const isBaseline = (method: MethodSpec): boolean =>
  method.rehearsal !== undefined || method.regularizer !== undefined

/** Whether the end of a task needs the importance pass's gradients (EWC, MAS). */
export const needsGradients = (state: BaselineState): boolean => state.entry?.importance !== undefined

/** Whether the regulariser follows each optimizer update (SI): its running state is not in a mid-task checkpoint. */
export const tracksUpdates = (state: BaselineState): boolean => state.entry?.step !== undefined

/** The key of an item (its image source). */
export const itemKey = (item: Item.Item): string => `${item.domain ?? ""}:${Item.sourceKey(item)}`

/** The task's training items plus the memory's, after checking the data rule. @category math */
export const trainingItems = (
  state: BaselineState,
  task: number,
  current: ReadonlyArray<Item.Item>
): Effect.Effect<ReadonlyArray<Item.Item>, OldDataBeyondMemory> => {
  const all = state.memory === undefined ? current : [...current, ...state.memory.items()]
  return Effect.as(ExemplarMemory.checkTrainingSet(task, all, current, state.memory, itemKey), all)
}

/** The regulariser's penalty term for this task (none before the first anchor). @category constructors */
export const penaltyTerms = (
  state: BaselineState,
  variables: ReadonlyArray<NamedVariable>
): ReadonlyArray<Term.Term<never>> =>
  state.entry === undefined ? [] : state.entry.penalty(state.regularizer, state.state, variables)

/** Starts a task (SI's path integral). */
export const startTask = (state: BaselineState, variables: ReadonlyArray<NamedVariable>): void => {
  state.entry?.startTask?.(state.state, snapshot(variables))
}

/** The trainer hook of a regulariser that follows each update (SI; undefined for the others). */
export const updateHook = (state: BaselineState, variables: ReadonlyArray<NamedVariable>) => {
  const step = state.entry?.step
  if (step === undefined) return undefined
  const names = new Map(variables.map((v) => [v.variable, v.name] as const))
  const named = (vars: ReadonlyArray<tf.Variable>) =>
    vars.filter((v) => names.has(v)).map((v) => ({ name: names.get(v)!, variable: v }))
  let grads: Map<string, Float32Array> = new Map()
  return {
    before: (vars: ReadonlyArray<tf.Variable>, g: ReadonlyArray<tf.Tensor>) => {
      grads = new Map()
      vars.forEach((v, i) => {
        const n = names.get(v)
        if (n !== undefined) grads.set(n, Float32Array.from(g[i]!.dataSync() as Float32Array))
      })
      step.before(state.state, snapshot(named(vars)))
    },
    after: (vars: ReadonlyArray<tf.Variable>) => step.after(state.state, snapshot(named(vars)), grads)
  }
}

/** What the learner provides after a task. */
export interface AfterTask {
  readonly variables: ReadonlyArray<NamedVariable>
  /** Batches of the task for the importance pass. */
  readonly batches: number
  /** The gradients of batch b of the task's objective total (EWC) or of mean |f(x)|^2 (MAS). */
  readonly gradients: (batch: number, of: "objective" | "outputNorm") => ReadonlyMap<string, tf.Tensor>
  /** The task's items grouped by identity, with their retrieval embeddings (for herding). */
  readonly candidates: () => Effect.Effect<ReadonlyArray<ExemplarMemory.Candidates<Item.Item>>>
  readonly rng: RandomStream
}

/** Updates the memory and the regulariser after a task. @category math */
export const afterTask = (state: BaselineState, input: AfterTask): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (state.memory !== undefined) state.memory.add(yield* input.candidates(), input.rng)
    const entry = state.entry
    if (entry === undefined) return
    const of = entry.importance
    state.state = entry.endTask(state.regularizer, state.state, {
      variables: input.variables,
      anchor: snapshot(input.variables),
      importance: (f) =>
        of === undefined ? new Map() : meanOverBatches(input.variables, input.batches, (b) => input.gradients(b, of), f)
    })
  })
