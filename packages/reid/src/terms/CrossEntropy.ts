/**
 * `{ loss: crossEntropy, labelSmoothing, classes }`: cross-entropy with label smoothing (Szegedy et al. 2016) on the
 * classifier's logits, `@reidfx/metric`'s `crossEntropyLabelSmooth`; with `classes: task`, from the second task
 * on the current task's classes only (the multi-head form of PatchKD's code, `patchkd/TaskCrossEntropy.ts`).
 * @since 0.3.0
 */
import { crossEntropyLabelSmooth } from "@reidfx/metric"
import { Schema } from "effect"
import { taskCrossEntropy } from "../patchkd/TaskCrossEntropy.ts"
import { Probability, withDefault } from "../ProtocolFields.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const crossEntropy = ObjectiveTerm.make({
  name: "crossEntropy",
  description: "cross-entropy with label smoothing on the classifier's logits (Szegedy et al. 2016)",
  fields: {
    labelSmoothing: withDefault(Probability, 0.1),
    /** `all` (default): every class of the classifier; `task`: the current task's (old classes left out). */
    classes: Schema.optionalKey(Schema.Literals(["all", "task"]))
  },
  needs: { classifier: true },
  make: (spec, { old }) =>
    spec.classes === "task" && old !== undefined
      ? [taskCrossEntropy(old.classes, { epsilon: spec.labelSmoothing, weight: spec.weight })]
      : [crossEntropyLabelSmooth({ epsilon: spec.labelSmoothing, weight: spec.weight })]
})
