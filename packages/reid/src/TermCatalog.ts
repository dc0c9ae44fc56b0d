/**
 * The catalog of protocol terms: every loss and distillation term a protocol method may list, one entry per file
 * under `terms/` (see `terms/ObjectiveTerm.ts` for what an entry holds). `Protocol.TermSpec` is derived from
 * this list, and the learner builds a method's objective by looking its terms up here. A user program adds a term
 * with `TermCatalog.builtin.with(myEntry)` and passes the catalog to `ProtocolFile.decode` and the learner.
 * @since 0.3.0
 */
import { Registry } from "@reidfx/tensor"
import { aka } from "./terms/Aka.ts"
import { crossEntropy } from "./terms/CrossEntropy.ts"
import { darkRank } from "./terms/DarkRank.ts"
import { dmml } from "./terms/Dmml.ts"
import { dwopp } from "./terms/Dwopp.ts"
import { dwpp } from "./terms/Dwpp.ts"
import { krkcCalibration } from "./terms/KrkcCalibration.ts"
import { krkcSoftTriplet } from "./terms/KrkcSoftTriplet.ts"
import { lstkc } from "./terms/Lstkc.ts"
import { lwf } from "./terms/Lwf.ts"
import { metric } from "./terms/MetricLoss.ts"
import { patchKd } from "./terms/PatchKd.ts"
import * as ObjectiveTerm from "./terms/ObjectiveTerm.ts"
import { tripletBatchHard } from "./terms/TripletBatchHard.ts"

export { ObjectiveTerm }

/** The built-in entries, in the order of `TermSpec`'s union. @category catalog */
export const entries = [
  crossEntropy,
  tripletBatchHard,
  dmml,
  lwf,
  dwpp,
  dwopp,
  darkRank,
  aka,
  metric,
  lstkc,
  krkcSoftTriplet,
  krkcCalibration,
  patchKd
] as const

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<ObjectiveTerm.Any> = Registry.make<ObjectiveTerm.Any>("loss", entries)

type SpecSchemas<Es extends ReadonlyArray<ObjectiveTerm.Any>> = {
  readonly [K in keyof Es]: Es[K] extends ObjectiveTerm.ObjectiveTerm<infer N, infer Fs, infer _S, infer _F>
    ? ReturnType<typeof ObjectiveTerm.specSchema<N, Fs>>
    : never
}

/** The protocol Schemas of entries, one per entry. @category schemas */
export const specSchemas = <const Es extends ReadonlyArray<ObjectiveTerm.Any>>(es: Es): SpecSchemas<Es> =>
  es.map((e) => ObjectiveTerm.specSchema(e)) as never

/** The names of the terms that read the old model (in whole or in part), of a catalog. */
export const oldModelNames = (catalog: Registry.Registry<ObjectiveTerm.Any>): ReadonlySet<string> =>
  new Set(catalog.entries.filter((e) => e.needs.oldModel !== undefined).map((e) => e.name))

/** The names of the terms left out entirely on the first task, of a catalog. */
export const onlyOldModelNames = (catalog: Registry.Registry<ObjectiveTerm.Any>): ReadonlySet<string> =>
  new Set(catalog.entries.filter((e) => e.needs.oldModel === "whole").map((e) => e.name))

/** The names of the terms that need episodic batches, of a catalog. */
export const episodicNames = (catalog: Registry.Registry<ObjectiveTerm.Any>): ReadonlySet<string> =>
  new Set(catalog.entries.filter((e) => e.needs.episodic === true).map((e) => e.name))
