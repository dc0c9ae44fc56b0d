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
import type { RegularizerSpec } from "./BaselineSpec.ts"
import * as Ewc from "./Ewc.ts"
import * as ExemplarMemory from "./ExemplarMemory.ts"
import * as Mas from "./Mas.ts"
import { meanOverBatches, type NamedVariable, penaltyTerm, snapshot } from "./Parameters.ts"
import * as Si from "./Si.ts"

/** A method's baseline state. @category models */
export interface BaselineState {
  readonly memory: ExemplarMemory.ExemplarMemory<Item.Item> | undefined
  readonly regularizer: RegularizerSpec | undefined
  ewc: Ewc.EwcState
  mas: Mas.MasState
  readonly si: Si.SiState
}

/** The state of a method (its memory is a resource of the current Scope). @category constructors */
export const make = (method: MethodSpec): Effect.Effect<BaselineState, never, Scope.Scope> =>
  Effect.gen(function*() {
    const memory = method.rehearsal === undefined ? undefined : yield* ExemplarMemory.make<Item.Item>(method.rehearsal)
    return { memory, regularizer: method.regularizer, ewc: Ewc.empty, mas: Mas.empty, si: Si.make() }
  })

/** Whether a method has any baseline state. */
export const isBaseline = (method: MethodSpec): boolean => method.rehearsal !== undefined || method.regularizer !== undefined

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
export const penaltyTerms = (state: BaselineState, variables: ReadonlyArray<NamedVariable>): ReadonlyArray<Term.Term<never>> => {
  const r = state.regularizer
  if (r === undefined) return []
  switch (r.kind) {
    case "ewc":
      return state.ewc.entries.length === 0 ? [] : [penaltyTerm("ewc", { lambda: r.lambda, mode: r.mode, decay: r.decay }, variables, state.ewc.entries, r.lambda)]
    case "mas":
      return state.mas.anchor === undefined || state.mas.importance === undefined
        ? []
        : [penaltyTerm("mas", { lambda: r.lambda, alpha: r.alpha }, variables, [{ anchor: state.mas.anchor, importance: state.mas.importance }], r.lambda)]
    case "si":
      return state.si.anchor === undefined || state.si.importance === undefined
        ? []
        : [penaltyTerm("si", { lambda: r.lambda, c: r.c, damping: r.damping, clipTo: r.clipTo }, variables, [{ anchor: state.si.anchor, importance: state.si.importance }], r.lambda / 2)]
  }
}

/** Starts a task (SI's path integral). */
export const startTask = (state: BaselineState, variables: ReadonlyArray<NamedVariable>): void => {
  if (state.regularizer?.kind === "si") Si.startTask(state.si, snapshot(variables))
}

/** The trainer hook of SI (undefined for the other methods). */
export const updateHook = (state: BaselineState, variables: ReadonlyArray<NamedVariable>) => {
  if (state.regularizer?.kind !== "si") return undefined
  const names = new Map(variables.map((v) => [v.variable, v.name] as const))
  const named = (vars: ReadonlyArray<tf.Variable>) => vars.filter((v) => names.has(v)).map((v) => ({ name: names.get(v)!, variable: v }))
  let grads: Map<string, Float32Array> = new Map()
  return {
    before: (vars: ReadonlyArray<tf.Variable>, g: ReadonlyArray<tf.Tensor>) => {
      grads = new Map()
      vars.forEach((v, i) => {
        const n = names.get(v)
        if (n !== undefined) grads.set(n, Float32Array.from(g[i]!.dataSync() as Float32Array))
      })
      Si.beforeStep(state.si, snapshot(named(vars)))
    },
    after: (vars: ReadonlyArray<tf.Variable>) => Si.afterStep(state.si, snapshot(named(vars)), grads)
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
  Effect.gen(function*() {
    if (state.memory !== undefined) state.memory.add(yield* input.candidates(), input.rng)
    const r = state.regularizer
    if (r === undefined) return
    const anchor = snapshot(input.variables)
    switch (r.kind) {
      case "ewc": {
        const fisher = meanOverBatches(input.variables, input.batches, (b) => input.gradients(b, "objective"), (g) => g * g)
        state.ewc = Ewc.update(state.ewc, fisher, anchor, r)
        return
      }
      case "mas": {
        const omega = meanOverBatches(input.variables, input.batches, (b) => input.gradients(b, "outputNorm"), Math.abs)
        state.mas = Mas.update(state.mas, omega, anchor, r.alpha)
        return
      }
      case "si":
        Si.endTask(state.si, anchor, r)
    }
  })
