/**
 * How a protocol declares the rehearsal and regularisation baselines of a method: an exemplar memory
 * (`rehearsal`, see `ExemplarMemory`) and a weight regulariser (`regularizer`: EWC, MAS or SI), both optional
 * keys of a method.
 *
 * ```yaml
 * methods:
 *   - { name: replay, sampler: { kind: pk }, terms: [...], rehearsal: { budget: { kind: perIdentity, size: 2 }, selection: herding } }
 *   - { name: ewc, sampler: { kind: pk }, terms: [...], regularizer: { kind: ewc, lambda: 100, mode: online, decay: 1 } }
 * ```
 * @since 0.2.0
 */
import { Schema } from "effect"
import { NonNegative, Positive, Probability, withDefault } from "../ProtocolFields.ts"
import { MemorySpec } from "./ExemplarMemory.ts"

export { MemorySpec }

/** EWC (Kirkpatrick et al. 2017; Avalanche's `EWCPlugin`). @category models */
export const EwcSpec = Schema.Struct({
  kind: Schema.Literal("ewc"),
  /** The penalty weight lambda (Avalanche's `ewc_lambda`, no default there). */
  lambda: Positive,
  mode: withDefault(Schema.Literals(["separate", "online"]), "online"),
  /** gamma of the online mode (1: plain sum of the tasks' Fisher). */
  decay: withDefault(Probability, 1)
})
/** MAS (Aljundi et al. 2018; Avalanche's `MASPlugin`, defaults lambda 1, alpha 0.5). @category models */
export const MasSpec = Schema.Struct({
  kind: Schema.Literal("mas"),
  lambda: withDefault(Positive, 1),
  alpha: withDefault(Probability, 0.5)
})
/** SI (Zenke et al. 2017; Avalanche's `SynapticIntelligencePlugin`: c 1, xi 1e-7, clip 0.001). @category models */
export const SiSpec = Schema.Struct({
  kind: Schema.Literal("si"),
  lambda: Positive,
  damping: withDefault(Positive, 1e-7),
  c: withDefault(Positive, 1),
  /** Omega is clipped to this value (Avalanche 0.001; Zenke et al. do not clip). */
  clipTo: withDefault(NonNegative, 0.001)
})
/** A weight regulariser. @category models */
export const RegularizerSpec = Schema.Union([EwcSpec, MasSpec, SiSpec])
export type RegularizerSpec = typeof RegularizerSpec.Type
