/**
 * The catalogs a run reads its vocabulary from: protocol terms (`TermCatalog`) and lifelong strategies
 * (`StrategyCatalog`). A service with the built-in catalogs as default, so nothing changes for a program that
 * uses only built-in entries; a user program extends them without editing a package:
 *
 * ```ts
 * const catalogs = Catalogs.extend(Catalogs.builtin, { terms: [focal], strategies: [lessForget] })
 * const protocol = yield* ProtocolFile.parse(text).pipe(Catalogs.provide(catalogs))
 * yield* Lifelong.run(protocol, options).pipe(Catalogs.provide(catalogs))
 * ```
 *
 * `ProtocolFile.decode` (the names a file may use, the options of each term), `Strategy.resolve` in the runner
 * and the ReID learner (building each term) read it.
 * @since 0.3.0
 */
import { Context, Effect } from "effect"
import type { TermInput, TermSpec, Vocabulary } from "./Protocol.ts"
import * as StrategyCatalog from "./StrategyCatalog.ts"
import * as TermCatalog from "./TermCatalog.ts"

/**
 * The catalogs of a run. `In` and `T` type the specs of the terms they hold, as a protocol writes them and
 * decoded (the built-in ones: `TermInput`, `TermSpec`; `extend` adds a user's), for `ProtocolFile.makeWith`; the
 * service holds them erased (`unknown`). @category models
 */
export interface Catalogs<In = unknown, T = unknown> extends Vocabulary {
  /** Types only (never set): the specs of the catalogs' terms, as written and decoded. */
  readonly "~terms"?: { readonly input: In; readonly spec: T }
}

/** The built-in catalogs. @category catalog */
export const builtin: Catalogs<TermInput, TermSpec> = {
  terms: TermCatalog.builtin,
  strategies: StrategyCatalog.builtin
}

/** The catalogs in use (default: the built-in ones). @category services */
export const Catalogs = Context.Reference<Catalogs>("@reidfx/reid/Catalogs", { defaultValue: () => builtin })

type Added<Ts extends ReadonlyArray<TermCatalog.ObjectiveTerm.Any>, Ss extends ReadonlyArray<unknown>> =
  | Ts[number]
  | StrategyCatalog.LifelongStrategy.TermsOf<Ss[number]>

/**
 * The catalogs with more entries: `terms` are added to the term catalog, `strategies` to the strategy catalog
 * (with the term entries each strategy brings). A name already taken throws `InvalidOption`. The result's types
 * hold the new terms' specs, so a protocol written in TypeScript for it (`ProtocolFile.makeWith`) type-checks
 * their options. @category combinators
 */
export const extend = <
  In,
  T,
  const Ts extends ReadonlyArray<TermCatalog.ObjectiveTerm.Any> = readonly [],
  const Ss extends ReadonlyArray<StrategyCatalog.LifelongStrategy.Any> = readonly []
>(
  catalogs: Catalogs<In, T>,
  more: { readonly terms?: Ts; readonly strategies?: Ss }
): Catalogs<
  In | TermCatalog.ObjectiveTerm.InputOf<Added<Ts, Ss>>,
  T | TermCatalog.ObjectiveTerm.SpecOf<Added<Ts, Ss>>
> => {
  const strategies = more.strategies ?? []
  const terms = [...(more.terms ?? []), ...strategies.flatMap((s) => s.terms ?? [])]
  return {
    terms: terms.length === 0 ? catalogs.terms : catalogs.terms.with(...terms),
    strategies: strategies.length === 0 ? catalogs.strategies : catalogs.strategies.with(...strategies)
  }
}

/** Runs an effect with these catalogs. @category combinators */
export const provide =
  <In, T>(catalogs: Catalogs<In, T>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, Catalogs, catalogs)
