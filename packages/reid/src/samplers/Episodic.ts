/**
 * `sampler: { kind: episodic, ways, shots, queries }`: N-way K-shot episodes with Q queries per class (DMML,
 * DwPP, DwoPP), `@reidfx/data`'s `Episodic` with N shrunk to the task's identities (at least 2).
 * @since 0.3.0
 */
import { Schema } from "effect"
import { PositiveInt, withDefault } from "../ProtocolFields.ts"
import * as MethodSampler from "./MethodSampler.ts"

/** The entry. @category catalog */
export const episodic = MethodSampler.make({
  name: "episodic",
  description: "N-way K-shot episodes with Q queries per class",
  fields: {
    ways: withDefault(PositiveInt.check(Schema.isGreaterThanOrEqualTo(2)), 16),
    shots: withDefault(PositiveInt, 2),
    queries: withDefault(PositiveInt, 2)
  },
  toData: (spec, identities) => ({
    _tag: "Episodic",
    ways: Math.max(2, Math.min(spec.ways, identities)),
    shots: spec.shots,
    queries: spec.queries
  }),
  show: (spec) => `episodic ${spec.ways}-way ${spec.shots}-shot ${spec.queries}-query`
})
