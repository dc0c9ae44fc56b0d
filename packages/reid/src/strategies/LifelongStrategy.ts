/**
 * The catalog entry of a lifelong strategy: what a strategy file exports so that a protocol can list it by name
 * (`methods: [dwopp]`) or with options (`{ use: ewc, name: ewc-10, options: { lambda: 10 } }`). An entry gives
 * its name, its table label, its **options** (Schema fields, each with its default), its **constructor** (the
 * method it runs for given options: sampler, the terms of its objective, its first-task rule, joint training,
 * rehearsal memory, weight regulariser, ...) and the term entries it brings (a strategy's own losses, added to
 * the term catalog with it). What it needs (the old model, episodic batches) is derived from its terms' entries
 * (`needs`).
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
 *   options: { lambda: withDefault(Positive, 5) },
 *   method: (o) => ({
 *     sampler: pk,
 *     terms: [...botTerms, { loss: "lessForget", weight: o.lambda }], // typed: `lessForget` is a term of `terms`
 *     firstTask: "withoutOldModelTerms",
 *     joint: false
 *   }),
 *   terms: [lessForgetTerm]
 * })
 * ```
 *
 * In a protocol, `{ use: <strategy>, name?, label?, options? }` runs the strategy with those options (each
 * missing option takes its default; an unknown or bad one is a decode error naming its key path and the allowed
 * keys); a bare name runs it with every default. `name` defaults to the strategy's name, `label` to `name` when
 * a name is given, else to the strategy's label.
 * @since 0.3.0
 */
import { ConfigIssues, InvalidOption, type Registry } from "@reidfx/tensor"
import { Result, Schema } from "effect"
import type { MethodSpec, TermSpec } from "../Protocol.ts"
import { withDefault } from "../ProtocolFields.ts"
import type * as ObjectiveTerm from "../terms/ObjectiveTerm.ts"

/** The method a strategy runs (a method without its name and label), its terms of type `T`. @category models */
export type Method<T = TermSpec> = Omit<MethodSpec, "name" | "label" | "terms"> & { readonly terms: ReadonlyArray<T> }

/** A catalog entry of a lifelong strategy. @category models */
export interface LifelongStrategy<
  Name extends string = string,
  Options extends Schema.Struct.Fields = Schema.Struct.Fields,
  T = TermSpec | ObjectiveTerm.AnySpec,
  Terms extends ReadonlyArray<ObjectiveTerm.Any> = ReadonlyArray<ObjectiveTerm.Any>
> extends Registry.Entry {
  readonly name: Name
  /** The name shown in tables. */
  readonly label: string
  /** The strategy's options, each with its default (`ProtocolFields.withDefault`); `{}`: none. */
  readonly options: Options
  /** The method it runs with these options (decoded: every default filled in). */
  method(options: Schema.Struct.Type<Options>): Method<T>
  /** Term entries of the strategy's own losses (added to the term catalog with the strategy). */
  readonly terms?: Terms
}

/** Any strategy entry. @category models */
// biome-ignore lint/suspicious/noExplicitAny: the catalog holds entries of every option type
export type Any = LifelongStrategy<string, any, any, any>

/** The term entries a strategy brings (its `terms`), from its type. @category models */
export type TermsOf<S> = S extends { readonly terms?: infer Ts }
  ? Ts extends ReadonlyArray<infer E>
    ? E
    : never
  : never

/**
 * An entry. `method` is the constructor `options -> method`, or (a strategy without options) the method itself.
 * The terms of its method are typed by the built-in terms and the term entries the strategy brings (`terms`), so a
 * strategy's own loss type-checks where a built-in one does. @category constructors
 */
export const make = <
  const Name extends string,
  Options extends Schema.Struct.Fields = {},
  const Terms extends ReadonlyArray<ObjectiveTerm.Any> = readonly [],
  const Uses extends ReadonlyArray<ObjectiveTerm.Any> = readonly [],
  const M extends Method<TermSpec | ObjectiveTerm.SpecOf<Terms[number] | Uses[number]>> = Method<
    TermSpec | ObjectiveTerm.SpecOf<Terms[number] | Uses[number]>
  >
>(entry: {
  readonly name: Name
  readonly aliases?: ReadonlyArray<string>
  readonly description: string
  readonly label: string
  readonly options?: Options
  readonly terms?: Terms
  /**
   * Term entries of the catalog in use that the method's terms name besides the built-in ones and `terms` (a
   * user's loss added with `Catalogs.extend(..., { terms })`): for the types only, not added to any catalog.
   */
  readonly uses?: Uses
  readonly method: M | ((options: Schema.Struct.Type<Options>) => M)
}): LifelongStrategy<Name, Options, TermSpec | ObjectiveTerm.SpecOf<Terms[number] | Uses[number]>, Terms> => {
  const { method, options, uses: _uses, ...rest } = entry
  return {
    ...rest,
    options: options ?? ({} as Options),
    method: typeof method === "function" ? method : () => method as M
  }
}

/**
 * The options of an entry decoded by its options Schema: each missing option takes its default; an unknown or bad
 * one throws `InvalidOption` naming its key and what is allowed (a protocol's options are checked when it is
 * decoded, as a `ProtocolDecodeError`).
 */
export const decodeOptions = <Options extends Schema.Struct.Fields>(
  entry: LifelongStrategy<string, Options, unknown, ReadonlyArray<ObjectiveTerm.Any>>,
  input: unknown
): Schema.Struct.Type<Options> => {
  const schema = Schema.Struct(entry.options) as unknown as Schema.Codec<Schema.Struct.Type<Options>>
  const result = Schema.decodeUnknownResult(schema)(input, { onExcessProperty: "error", errors: "all" })
  if (Result.isSuccess(result)) return result.success
  throw new InvalidOption({
    what: `options of strategy ${entry.name}`,
    detail: ConfigIssues.explainAll(schema.ast, input, result.failure.issue)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ")
  })
}

/** The options of an entry with every default (its options Schema decoding `{}`). */
export const defaults = <Options extends Schema.Struct.Fields>(
  entry: LifelongStrategy<string, Options, unknown, ReadonlyArray<ObjectiveTerm.Any>>
): Schema.Struct.Type<Options> => decodeOptions(entry, {})

/**
 * The method of an entry with `options` (decoded by its options Schema: missing ones take their defaults, see
 * {@link decodeOptions}), named `name` (default: the entry's) and labelled `label` (default: `name` when one is
 * given, else the entry's label). @category constructors
 */
export const method = (
  entry: Any,
  options?: { readonly [key: string]: unknown },
  name?: string,
  label?: string
): MethodSpec =>
  ({
    ...entry.method(decodeOptions(entry, options ?? {})),
    name: name ?? entry.name,
    label: label ?? name ?? entry.label
  }) as MethodSpec

const MethodName = Schema.NonEmptyString.check(Schema.isPattern(/^[A-Za-z0-9_.-]+$/))

/**
 * The protocol Schema of a strategy with options: `{ use: <name>, name?, label?, options? }`, `options` decoded by
 * the entry's options Schema (a missing key takes its default). @category schemas
 */
export const useSchema = <Name extends string, Options extends Schema.Struct.Fields>(
  entry: LifelongStrategy<Name, Options, unknown, ReadonlyArray<ObjectiveTerm.Any>>
) =>
  Schema.Struct({
    use: Schema.Literal(entry.name),
    /** The method's name in tables and run folders (default: the strategy's name). */
    name: Schema.optionalKey(MethodName),
    /** The name shown in tables (default: `name` when given, else the strategy's label). */
    label: Schema.optionalKey(Schema.NonEmptyString),
    options: withDefault(Schema.Struct(entry.options), defaults(entry))
  })

/** What a strategy needs with its default options, from its terms' entries in `terms`. */
export const needs = (entry: Any, terms: Registry.Registry<ObjectiveTerm.Any>) => {
  const m = entry.method(defaults(entry))
  const entries = m.terms.map((t: ObjectiveTerm.AnySpec) => terms.require(t.loss))
  return {
    oldModel: entries.some((e) => e.needs.oldModel !== undefined),
    episodic: entries.some((e) => e.needs.episodic === true),
    firstTask: m.firstTask,
    rehearsal: m.rehearsal !== undefined,
    regularizer: m.regularizer?.kind
  }
}
