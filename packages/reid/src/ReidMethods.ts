/**
 * The lifelong ReID methods as the engine's `Methods` service: a protocol's methods resolved through the run's
 * catalogs (`Catalogs`: a built-in name to its strategy's declaration), each shown by its label, objective formula
 * and sampler, the old-model rule of its terms (`Strategy.needsOldModel`, `Strategy.termsForTask`), and the protocol
 * encoded with the same catalogs for `protocol.json`. `ReidLearner.layer` provides it with the learner.
 * @since 0.1.0
 */
import { Methods } from "@reidfx/continual"
import { Effect, Layer } from "effect"
import * as Catalogs from "./Catalogs.ts"
import type { MethodSpec, Protocol, TermSpec } from "./Protocol.ts"
import * as ProtocolFile from "./ProtocolFile.ts"
import * as SamplerCatalog from "./SamplerCatalog.ts"
import * as Strategy from "./Strategy.ts"

/** The method info shown in reports. */
export const info = (method: MethodSpec): Methods.MethodInfo => ({
  name: method.name,
  label: Strategy.label(method),
  formula: Strategy.formula(method.terms),
  sampler: SamplerCatalog.builtin.require(method.sampler.kind).show(method.sampler),
  joint: method.joint
})

/** The lifelong ReID methods, typed. @category services */
export const service: Methods.TypedMethodsService<Protocol, MethodSpec, TermSpec> = {
  resolve: (protocol) =>
    Effect.map(Catalogs.Catalogs, (catalogs) => protocol.methods.map((m) => Strategy.resolve(m, catalogs.strategies))),
  info,
  needsOldModel: (method) =>
    Effect.map(Catalogs.Catalogs, (catalogs) => Strategy.needsOldModel(method, catalogs.terms)),
  termsForTask: (method, hasOldModel) =>
    Effect.map(Catalogs.Catalogs, (catalogs) => Strategy.termsForTask(method, hasOldModel, catalogs.terms)),
  encode: (protocol) => Effect.map(Catalogs.Catalogs, (catalogs) => ProtocolFile.toJson(protocol, catalogs))
}

/** The lifelong ReID methods as the engine's service. @category layers */
export const layer: Layer.Layer<Methods.Methods> = Layer.succeed(Methods.Methods, Methods.typed(service))
