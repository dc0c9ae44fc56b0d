/**
 * The catalog entry of a protocol's loss or distillation term: what a term file exports so that a protocol can
 * write `{ loss: <name>, weight, ...options }`. An entry gives its name, its options (Schema fields beside `loss`
 * and `weight`), the metric / distill Terms it builds, what it needs (the old model, episodic batches, the
 * classifier) and, when it carries state from task to task (AKA's knowledge graph), how that state is created,
 * trained, frozen with the old model and saved. The learner reads only these entries: no code anywhere switches
 * over term names.
 *
 * ```ts
 * export const focal = ObjectiveTerm.make({
 *   name: "focal",
 *   description: "focal loss on the logits (Lin et al. 2017)",
 *   fields: { gamma: withDefault(NonNegative, 2) },
 *   needs: {},
 *   make: (spec) => [focalTerm(spec.gamma, spec.weight)]
 * })
 * ```
 * @since 0.3.0
 */
import type { OldModel } from "@reidfx/distill"
import type { Catalog, Term } from "@reidfx/metric"
import type { FrozenModel } from "@reidfx/model"
import type { RandomStream, Registry } from "@reidfx/tensor"
import type * as tf from "@tensorflow/tfjs-core"
import { Schema, type Effect, type Scope } from "effect"
import { NonNegative, withDefault } from "../ProtocolFields.ts"

/** What a term needs from the run. @category models */
export interface Needs {
  /**
   * `whole`: the term reads the old model and is left out entirely on the first task (LwF, DwPP, DwoPP);
   * `part`: part of it reads the old model and only that part waits (AKA's stability half); absent: never.
   */
  readonly oldModel?: "whole" | "part"
  /** The term needs episodic batches (N-way K-shot, Q queries): DMML and the prototype distillations. */
  readonly episodic?: boolean
  /** The term trains the classifier, so the method is evaluated on the BNNeck's output (the "bag of tricks"). */
  readonly classifier?: boolean
}

/** What a term is built with. @category models */
export interface Context<S = unknown, F = unknown> {
  /** Classes of the model's classifier and its embedding size (for class-parameter losses). */
  readonly catalog: Catalog.Context
  /** The term's own state (see {@link State}), when it declares one. */
  readonly state: S | undefined
  /** The state frozen with the old model, when there is an old model and the term declares a state. */
  readonly oldState: F | undefined
  /**
   * The old model itself (its network and named weights) and its classes, when there is one: for a term that
   * applies the old model's head to other features than its own (PatchKD's patches).
   */
  readonly old?: { readonly model: FrozenModel; readonly classes: number } | undefined
}

/**
 * The state a term carries from task to task, owned by the model it trains with (created with the model,
 * closed with it). @category models
 */
export interface State<Spec, S, F> {
  /** Creates the state for a model of embedding size `featureDim`. */
  create(
    spec: Spec,
    input: { readonly featureDim: number; readonly rng: RandomStream }
  ): Effect.Effect<S, never, Scope.Scope>
  /** Variables trained with the model's optimizer, saved with its weights (names unique across the model). */
  variables(state: S): ReadonlyMap<string, tf.Variable>
  /** A frozen copy, kept with the old model (a resource of the current scope). */
  freeze(state: S): Effect.Effect<F, never, Scope.Scope>
  /**
   * Prepares the state for a checkpoint's tensors before they are assigned (by name, from `variables`): a state
   * that grows during a run (PatchKD's per-task patch classifiers) creates the parts the checkpoint has.
   */
  restore?(state: S, tensors: ReadonlyMap<string, tf.Tensor>): void
}

/** The decoded options of a term: `loss`, `weight` and its own fields. @category models */
export type Spec<Name extends string, Fields extends Schema.Struct.Fields> = {
  readonly loss: Name
  readonly weight: number
} & Schema.Struct.Type<Fields>

/**
 * The spec of an entry's term, from its type: `SpecOf<typeof focal>` is `{ loss: "focal", weight: number, gamma:
 * number }`. Over a union of entries, the union of their specs (`Protocol.TermSpecOf` types a catalog's terms).
 * @category models
 */
export type SpecOf<E> =
  E extends ObjectiveTerm<infer Name, infer Fields, infer _S, infer _F> ? Spec<Name, Fields> : never

/**
 * The spec of an entry's term as a protocol writes it (options with defaults and `weight` may be left out):
 * `InputOf<typeof focal>` is `{ loss: "focal", weight?: number, gamma?: number }`. @category models
 */
export type InputOf<E> =
  E extends ObjectiveTerm<infer Name, infer Fields, infer _S, infer _F>
    ? ReturnType<typeof specSchema<Name, Fields>>["Encoded"]
    : never

/** The spec of a term of any catalog, a user's included (`Protocol.TermSpec` types the built-in ones). @category models */
export interface AnySpec {
  readonly loss: string
  readonly weight: number
  readonly [option: string]: unknown
}

/** A catalog entry of a protocol term. @category models */
export interface ObjectiveTerm<
  Name extends string = string,
  Fields extends Schema.Struct.Fields = Schema.Struct.Fields,
  S = unknown,
  F = unknown
> extends Registry.Entry {
  readonly name: Name
  /** The term's options beside `loss` and `weight` (with their defaults). */
  readonly fields: Fields
  readonly needs: Needs
  /** The Terms that do not read the old model (run on every task). */
  make?(spec: Spec<Name, Fields>, context: Context<S, F>): ReadonlyArray<Term.Term<Scope.Scope>>
  /** The Terms that read the old model (built only when there is one; provided the `OldModel` service). */
  makeWithOldModel?(spec: Spec<Name, Fields>, context: Context<S, F>): ReadonlyArray<Term.Term<OldModel>>
  /** The state the term carries across tasks (absent: none). */
  readonly state?: State<Spec<Name, Fields>, S, F>
}

/** Any term entry. @category models */
// biome-ignore lint/suspicious/noExplicitAny: the catalog holds entries of every option type
export type Any = ObjectiveTerm<string, any, any, any>

/** An entry, checked (the identity, for inference of its option types). @category constructors */
export const make = <const Name extends string, Fields extends Schema.Struct.Fields, S = never, F = never>(
  entry: ObjectiveTerm<Name, Fields, S, F>
): ObjectiveTerm<Name, Fields, S, F> => entry

/** The weight of every term (default 1). */
export const weight = withDefault(NonNegative, 1)

/** The protocol Schema of an entry: `{ loss: <name>, ...fields, weight }`. @category schemas */
export const specSchema = <Name extends string, Fields extends Schema.Struct.Fields>(
  entry: ObjectiveTerm<Name, Fields, unknown, unknown>
) => Schema.Struct({ loss: Schema.Literal(entry.name), ...entry.fields, weight })
