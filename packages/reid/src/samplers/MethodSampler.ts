/**
 * The catalog entry of a method's sampler: what a sampler file exports so that a protocol method can write
 * `sampler: { kind: <name>, ...options }`. An entry gives its name, its options (Schema fields beside `kind`, with
 * defaults), the `@reidfx/data` sampler it draws a task's batches with (shrunk to the task's identities), and how
 * it is shown in reports. `SamplerCatalog` collects the entries; `Protocol.SamplerSpec` is derived from it.
 * @since 0.3.0
 */
import type { Sampling } from "@reidfx/data"
import type { Registry } from "@reidfx/tensor"
import { Schema } from "effect"

/** The decoded options of a sampler: `kind` and its own fields. @category models */
export type Spec<Name extends string, Fields extends Schema.Struct.Fields> = {
  readonly kind: Name
} & Schema.Struct.Type<Fields>

/** A catalog entry of a method sampler. @category models */
export interface MethodSampler<Name extends string = string, Fields extends Schema.Struct.Fields = Schema.Struct.Fields>
  extends Registry.Entry {
  readonly name: Name
  readonly fields: Fields
  /** The `@reidfx/data` sampler over a task of `identities` identities. */
  toData(spec: Spec<Name, Fields>, identities: number): Sampling.SamplerSpec
  /** How reports show it, e.g. `PK 16x4`. */
  show(spec: Spec<Name, Fields>): string
}

/** Any sampler entry. @category models */
// biome-ignore lint/suspicious/noExplicitAny: the catalog holds entries of every option type
export type Any = MethodSampler<string, any>

/** An entry (the identity, for inference of its option types). @category constructors */
export const make = <const Name extends string, Fields extends Schema.Struct.Fields>(
  entry: MethodSampler<Name, Fields>
): MethodSampler<Name, Fields> => entry

/** The protocol Schema of an entry: `{ kind: <name>, ...fields }`. @category schemas */
export const specSchema = <Name extends string, Fields extends Schema.Struct.Fields>(
  entry: MethodSampler<Name, Fields>
) => Schema.Struct({ kind: Schema.Literal(entry.name), ...entry.fields })
