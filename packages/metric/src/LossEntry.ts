/**
 * A catalogued metric loss: what one loss file (`losses/<Loss>.ts`) exports as its `entry`, and `Catalog.losses`
 * collects. An entry names the loss, describes it in one line, holds its options Schema (the loss's `Options`;
 * the term fields `weight`, `embedding`, ... are the Term's own) and builds its Term from options.
 * @since 0.3.0
 */
import type { Registry } from "@reidfx/tensor"
import type { Schema, Scope } from "effect"
import type * as Term from "./Term.ts"

/** A catalogued metric loss (see `@reidfx/tensor` Registry). @category models */
export interface LossEntry extends Registry.Entry {
  /** The loss has class parameters (proxies, a classifier): `classes` and `dimension` come from the context when the options leave them out. */
  readonly classParameters: boolean
  /** The Schema of the loss's own options (decoded by `make`; unknown values are a typed `InvalidOption`). */
  readonly options: Schema.Top
  /** The Term of these options. Throws `InvalidOption` for bad options. */
  make(options: Record<string, unknown>): Term.Term<Scope.Scope>
}

/** An entry from its parts (`classParameters` defaults to false). @category constructors */
export const make = <const Name extends string>(spec: {
  readonly name: Name
  readonly description: string
  readonly options: Schema.Top
  readonly classParameters?: boolean
  // biome-ignore lint/suspicious/noExplicitAny: each loss decodes its own options
  readonly make: (options: any) => Term.Term<Scope.Scope>
}): LossEntry & { readonly name: Name } => ({
  name: spec.name,
  description: spec.description,
  classParameters: spec.classParameters ?? false,
  options: spec.options,
  make: spec.make
})
