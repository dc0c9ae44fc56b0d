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
import type { Vocabulary } from "./Protocol.ts"
import * as StrategyCatalog from "./StrategyCatalog.ts"
import * as TermCatalog from "./TermCatalog.ts"

/** The catalogs of a run. @category models */
export interface Catalogs extends Vocabulary {}

/** The built-in catalogs. @category catalog */
export const builtin: Catalogs = { terms: TermCatalog.builtin, strategies: StrategyCatalog.builtin }

/** The catalogs in use (default: the built-in ones). @category services */
export const Catalogs = Context.Reference<Catalogs>("@reidfx/reid/Catalogs", { defaultValue: () => builtin })

/**
 * The catalogs with more entries: `terms` are added to the term catalog, `strategies` to the strategy catalog
 * (with the term entries each strategy brings). A name already taken throws `InvalidOption`. @category combinators
 */
export const extend = (
  catalogs: Catalogs,
  more: {
    readonly terms?: ReadonlyArray<TermCatalog.ObjectiveTerm.Any>
    readonly strategies?: ReadonlyArray<StrategyCatalog.LifelongStrategy.LifelongStrategy>
  }
): Catalogs => {
  const strategies = more.strategies ?? []
  const terms = [...(more.terms ?? []), ...strategies.flatMap((s) => s.terms ?? [])]
  return {
    terms: terms.length === 0 ? catalogs.terms : catalogs.terms.with(...terms),
    strategies: strategies.length === 0 ? catalogs.strategies : catalogs.strategies.with(...strategies)
  }
}

/** Runs an effect with these catalogs. @category combinators */
export const provide =
  (catalogs: Catalogs) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, Catalogs, catalogs)
