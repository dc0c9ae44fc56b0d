/**
 * The catalog entry of a lifelong strategy: what a strategy file exports so that a protocol can list it by name
 * (`methods: [dwopp]`). An entry gives its name, its table label, the method it runs (sampler, the terms of its
 * objective, its first-task rule, joint training, rehearsal memory, weight regulariser) and the term entries it
 * brings (a strategy's own losses, added to the term catalog with it). What it needs (the old model, episodic
 * batches) is derived from its terms' entries (`needs`).
 *
 * State a strategy carries from task to task belongs to its own files, never to the learner: a term's state
 * (AKA's knowledge graph, `terms/Aka.ts`) is declared by the term entry; the exemplar memory and the
 * regularisers' anchors and importances by `baselines/` (selected by the method's `rehearsal` / `regularizer`).
 *
 * ```ts
 * export const lessForget = LifelongStrategy.make({
 *   name: "less-forget",
 *   label: "LessForget",
 *   description: "BoT + LUCIR's less-forget constraint",
 *   method: { sampler: pk, terms: [...botTerms, { loss: "lessForget", weight: 5 }], firstTask: "withoutOldModelTerms", joint: false },
 *   terms: [lessForgetTerm]
 * })
 * ```
 * @since 0.3.0
 */
import type { Registry } from "@reidfx/tensor"
import type { MethodSpec, TermSpec } from "../Protocol.ts"
import type * as ObjectiveTerm from "../terms/ObjectiveTerm.ts"

/** A catalog entry of a lifelong strategy. @category models */
export interface LifelongStrategy extends Registry.Entry {
  /** The name shown in tables. */
  readonly label: string
  /** The method it runs (its `name` and `label` are the entry's); its terms may be a user's entries' specs. */
  readonly method: Omit<MethodSpec, "name" | "label" | "terms"> & {
    readonly terms: ReadonlyArray<TermSpec | ObjectiveTerm.AnySpec>
  }
  /** Term entries of the strategy's own losses (added to the term catalog with the strategy). */
  readonly terms?: ReadonlyArray<ObjectiveTerm.Any>
}

/** An entry (the identity, for type checking; keeps the literal name). @category constructors */
export const make = <const Name extends string>(
  entry: LifelongStrategy & { readonly name: Name }
): LifelongStrategy & { readonly name: Name } => entry

/** The method of an entry, named. @category constructors */
export const method = (entry: LifelongStrategy): MethodSpec =>
  ({ name: entry.name, label: entry.label, ...entry.method }) as MethodSpec

/** What a strategy needs, from its terms' entries in `terms`. */
export const needs = (entry: LifelongStrategy, terms: Registry.Registry<ObjectiveTerm.Any>) => {
  const entries = entry.method.terms.map((t) => terms.require(t.loss))
  return {
    oldModel: entries.some((e) => e.needs.oldModel !== undefined),
    episodic: entries.some((e) => e.needs.episodic === true),
    firstTask: entry.method.firstTask,
    rehearsal: entry.method.rehearsal !== undefined,
    regularizer: entry.method.regularizer?.kind
  }
}
