/**
 * The catalog of lifelong strategies: every method a protocol may list by name, one entry per file under
 * `strategies/` (see `strategies/LifelongStrategy.ts`). `Protocol.BuiltinMethod` is derived from this list. A user
 * program adds a strategy with `StrategyCatalog.builtin.with(myStrategy)` and passes it (with its term entries,
 * `Catalogs.extend`) to `ProtocolFile.decode` and the learner.
 * @since 0.3.0
 */
import { Registry } from "@reidfx/tensor"
import { aka } from "./strategies/Aka.ts"
import { botFt } from "./strategies/BotFt.ts"
import { dmmlFt } from "./strategies/DmmlFt.ts"
import { dwopp } from "./strategies/Dwopp.ts"
import { dwpp } from "./strategies/Dwpp.ts"
import { ewc } from "./strategies/Ewc.ts"
import { joint } from "./strategies/Joint.ts"
import * as LifelongStrategy from "./strategies/LifelongStrategy.ts"
import { krkc } from "./strategies/Krkc.ts"
import { lstkc } from "./strategies/Lstkc.ts"
import { lwf } from "./strategies/LwF.ts"
import { mas } from "./strategies/Mas.ts"
import { patchkd } from "./strategies/PatchKd.ts"
import { replay } from "./strategies/Replay.ts"
import { si } from "./strategies/Si.ts"

export { LifelongStrategy }

/** The built-in entries, in table order. @category catalog */
export const entries = [
  joint,
  botFt,
  lwf,
  aka,
  dmmlFt,
  dwpp,
  dwopp,
  replay,
  ewc,
  mas,
  si,
  lstkc,
  krkc,
  patchkd
] as const

/** The names of the built-in strategies. */
export type Name = (typeof entries)[number]["name"]

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<LifelongStrategy.LifelongStrategy> =
  Registry.make<LifelongStrategy.LifelongStrategy>("strategy", entries)

type UseSchemas<Es extends ReadonlyArray<LifelongStrategy.Any>> = {
  readonly [K in keyof Es]: Es[K] extends LifelongStrategy.LifelongStrategy<infer N, infer Os, infer _T, infer _Ts>
    ? ReturnType<typeof LifelongStrategy.useSchema<N, Os>>
    : never
}

/** The protocol Schemas of entries with options (`{ use: <name>, options }`), one per entry. @category schemas */
export const useSchemas = <const Es extends ReadonlyArray<LifelongStrategy.Any>>(es: Es): UseSchemas<Es> =>
  es.map((e) => LifelongStrategy.useSchema(e)) as never
