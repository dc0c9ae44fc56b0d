/**
 * `{ loss: patchKd, patches, temperature, logit, patch, relation, diversity, confidence }`: PatchKD's five losses
 * (Sun & Mu, ACM MM 2022; `patchkd/PatchKd.ts`, `@reidfx/distill`'s `PatchKd`), from the second task on. Its
 * state (`patchkd/State.ts`: the patch network and the per-task patch classifiers) lives here, not in the
 * learner: created with the model from the run's `patchKd/init` stream, trained with the model's optimizer,
 * saved beside its weights as `patchkd/...`; the old model needs no frozen copy of it. Defaults: the authors'
 * `train_test.py` (feifeiobama/PatchKD, commit e6b050a), line by line in `patchkd/PatchKd.ts`.
 * @since 0.4.0
 */
import { Effect, Schema } from "effect"
import * as PatchKd from "../patchkd/PatchKd.ts"
import * as State from "../patchkd/State.ts"
import { NonNegative, Positive, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

const d = PatchKd.defaults

/** The entry. @category catalog */
export const patchKd = ObjectiveTerm.make({
  name: "patchKd",
  description:
    "PatchKD (Sun & Mu, ACM MM 2022): logit, patch and relational distillation, patch diversity and confidence",
  fields: {
    /** K: patches per image (at least 2: the diversity loss compares them). */
    patches: withDefault(Schema.Int.check(Schema.isBetween({ minimum: 2, maximum: 64 })), d.patches),
    temperature: withDefault(Positive, d.temperature),
    logit: withDefault(NonNegative, d.logit),
    patch: withDefault(NonNegative, d.patch),
    relation: withDefault(NonNegative, d.relation),
    diversity: withDefault(NonNegative, d.diversity),
    confidence: withDefault(NonNegative, d.confidence)
  },
  needs: { oldModel: "whole", classifier: true },
  state: {
    create: (spec, { featureDim, rng }) => State.make(featureDim, spec.patches, rng),
    variables: State.variables,
    freeze: () => Effect.succeed(undefined),
    restore: State.restore
  },
  makeWithOldModel: (spec, { state, old, catalog }) =>
    state === undefined || old === undefined ? [] : [PatchKd.term(state, old, catalog.classes ?? old.classes, spec)]
})
