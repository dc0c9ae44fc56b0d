/**
 * The exemplar memory of rehearsal (Rebuffi et al., CVPR 2017, "iCaRL"; Chaudhry et al. 2019, "On Tiny
 * Episodic Memories in Continual Learning"): a bounded set of past training items, kept per identity, selected
 * by herding or at random, and replayed with each new task's data.
 *
 * - **Budget**: `{ kind: "total", size: M }` (iCaRL: `m = floor(M / identities seen)` per identity, older sets
 *   cut to their first m) or `{ kind: "perIdentity", size: m }` (grows with the identities).
 * - **Selection**: `herding` (iCaRL's order over L2-normalised features, see `Herding`) or `random` (seeded).
 *   Each identity's exemplars are kept in selection order, so cutting keeps a herding (random) selection.
 * - **The data rule**: {@link checkTrainingSet} fails with `OldDataBeyondMemory` when a task's training set
 *   holds an item of an earlier task that is not in the memory, or the memory is over its budget.
 *
 * The memory is a scoped resource of the method's model (emptied when that scope closes). Items are opaque
 * values with a string key and an identity. @since 0.2.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { Effect, Schema, type Scope } from "effect"
import { OldDataBeyondMemory } from "../errors.ts"
import { herdingOrder, randomOrder } from "./Herding.ts"

/** The memory's declaration, as a protocol states it. @category models */
export const MemorySpec = Schema.Struct({
  budget: Schema.Struct({
    kind: Schema.Literals(["total", "perIdentity"]),
    size: Schema.Int.check(Schema.isGreaterThan(0))
  }),
  selection: Schema.Literals(["herding", "random"])
})
export type MemorySpec = typeof MemorySpec.Type

/** An identity's candidates: its items and their features (rows, for herding). @category models */
export interface Candidates<A> {
  readonly identity: number
  readonly items: ReadonlyArray<A>
  readonly features?: ReadonlyArray<Float32Array | ReadonlyArray<number>>
}

/** The memory. @category models */
export interface ExemplarMemory<A> {
  readonly spec: MemorySpec
  /** Every exemplar (identity order of arrival, then selection order). */
  readonly items: () => ReadonlyArray<A>
  readonly size: () => number
  /** Per identity, how many exemplars it may keep now. */
  readonly perIdentity: () => number
  /** Adds the identities of a finished task (selecting their exemplars) and cuts older sets to the budget. */
  readonly add: (candidates: ReadonlyArray<Candidates<A>>, rng: RandomStream) => void
  /** Restores exemplars (e.g. from a saved run), in order. */
  readonly restore: (byIdentity: ReadonlyArray<readonly [number, ReadonlyArray<A>]>) => void
  readonly byIdentity: () => ReadonlyArray<readonly [number, ReadonlyArray<A>]>
  readonly clear: () => void
}

/** The exemplars each identity may keep with `identities` identities in the memory. @category math */
export const quota = (spec: MemorySpec, identities: number): number =>
  spec.budget.kind === "perIdentity"
    ? spec.budget.size
    : identities === 0
      ? spec.budget.size
      : Math.floor(spec.budget.size / identities)

/** A memory as a plain value (see {@link make} for the scoped one). @category constructors */
export const unsafeMake = <A>(spec: MemorySpec): ExemplarMemory<A> => {
  const sets = new Map<number, Array<A>>()
  const cut = () => {
    const m = quota(spec, sets.size)
    for (const [id, items] of sets) if (items.length > m) sets.set(id, items.slice(0, m))
  }
  return {
    spec,
    items: () => [...sets.values()].flat(),
    size: () => [...sets.values()].reduce((n, s) => n + s.length, 0),
    perIdentity: () => quota(spec, sets.size),
    add: (candidates, rng) => {
      const identities = sets.size + candidates.filter((c) => !sets.has(c.identity)).length
      const m = quota(spec, identities)
      for (const c of candidates) {
        const order =
          spec.selection === "herding"
            ? herdingOrder(c.features ?? c.items.map(() => [0]))
            : randomOrder(c.items.length, rng)
        sets.set(
          c.identity,
          order.slice(0, m).map((i) => c.items[i]!)
        )
      }
      cut()
    },
    restore: (byIdentity) => {
      sets.clear()
      for (const [id, items] of byIdentity) sets.set(id, [...items])
    },
    byIdentity: () => [...sets.entries()],
    clear: () => sets.clear()
  }
}

/** A memory owned by the current Scope. @category constructors */
export const make = <A>(spec: MemorySpec): Effect.Effect<ExemplarMemory<A>, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => unsafeMake<A>(spec)),
    (m) => Effect.sync(() => m.clear())
  )

/**
 * Checks "no old data beyond the declared memory": every training item outside the current task must be an
 * exemplar, and the memory within its budget. @category math
 */
export const checkTrainingSet = <A>(
  task: number,
  training: ReadonlyArray<A>,
  current: ReadonlyArray<A>,
  memory: ExemplarMemory<A> | undefined,
  key: (item: A) => string
): Effect.Effect<void, OldDataBeyondMemory> =>
  Effect.suspend(() => {
    const allowed = new Set(current.map(key))
    if (memory !== undefined) {
      const budget = memory.spec.budget
      const total = memory.size()
      if (budget.kind === "total" && total > budget.size) {
        return Effect.fail(
          new OldDataBeyondMemory({
            task,
            detail: `the memory holds ${total} items, over its total budget of ${budget.size}`
          })
        )
      }
      for (const [id, items] of memory.byIdentity()) {
        if (budget.kind === "perIdentity" && items.length > budget.size) {
          return Effect.fail(
            new OldDataBeyondMemory({
              task,
              detail: `identity ${id} keeps ${items.length} exemplars, over the budget of ${budget.size}`
            })
          )
        }
      }
      for (const item of memory.items()) allowed.add(key(item))
    }
    const extra = training.filter((item) => !allowed.has(key(item)))
    return extra.length === 0
      ? Effect.void
      : Effect.fail(
          new OldDataBeyondMemory({
            task,
            detail: `${extra.length} training items (e.g. ${key(extra[0]!)}) are neither in the task nor in the exemplar memory`
          })
        )
  })
