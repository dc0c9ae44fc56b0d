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
import { Registry } from "@reidfx/tensor"
import { Schema } from "effect"
import { ewc, EwcSpec } from "./Ewc.ts"
import { MemorySpec } from "./ExemplarMemory.ts"
import { mas, MasSpec } from "./Mas.ts"
import type * as Regularizer from "./Regularizer.ts"
import { si, SiSpec } from "./Si.ts"

export { MemorySpec }

export { EwcSpec, MasSpec, SiSpec }

const entries = [ewc, mas, si] as const

const specs = <const Es extends ReadonlyArray<Regularizer.Any>>(es: Es) =>
  es.map((e) => e.spec) as unknown as { readonly [K in keyof Es]: Es[K]["spec"] }

/** The built-in regularisers (one entry per file: `Ewc.ts`, `Mas.ts`, `Si.ts`). @category catalog */
export const regularizers: Registry.Registry<Regularizer.Any> = Registry.make<Regularizer.Any>("regularizer", entries)

/** A weight regulariser (derived from the entries' options Schemas). @category models */
export const RegularizerSpec = Schema.Union(specs(entries))
export type RegularizerSpec = typeof RegularizerSpec.Type
