/**
 * `sampler: { kind: pk, identities, instances }`: P identities x K instances per batch (the PK sampler of the
 * "bag of tricks", Hermans et al. 2017 / Luo et al. 2019), `@reidfx/data`'s `PK` with P shrunk to the task's
 * identities (at least 2).
 * @since 0.3.0
 */
import { PositiveInt, withDefault } from "../ProtocolFields.ts"
import * as MethodSampler from "./MethodSampler.ts"

/** The entry. @category catalog */
export const pk = MethodSampler.make({
  name: "pk",
  description: "P identities x K instances per batch",
  fields: { identities: withDefault(PositiveInt, 16), instances: withDefault(PositiveInt, 4) },
  toData: (spec, identities) => ({
    _tag: "PK",
    p: Math.max(2, Math.min(spec.identities, identities)),
    k: spec.instances
  }),
  show: (spec) => `PK ${spec.identities}x${spec.instances}`
})
