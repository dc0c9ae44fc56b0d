/**
 * `{ loss: metric, name, options }`: any metric loss of `@reidfx/metric`'s catalog by name (the PML losses:
 * `multiSimilarity`, `arcFace`, `proxyAnchor`, `supCon`, ...) with its options; class-parameter losses take the
 * model's classes and embedding size.
 * @since 0.3.0
 */
import { Catalog } from "@reidfx/metric"
import { Schema } from "effect"
import { withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const metric = ObjectiveTerm.make({
  name: "metric",
  description: "a metric loss of @reidfx/metric's catalog by name, with its options",
  fields: { name: Catalog.TermName, options: withDefault(Schema.Record(Schema.String, Schema.Unknown), {}) },
  needs: {},
  make: (spec, context) => [Catalog.term(spec.name, { ...spec.options, weight: spec.weight }, context.catalog)]
})
