/**
 * The catalog of method samplers: every `sampler.kind` a protocol method may use, one entry per file under
 * `samplers/` (see `samplers/MethodSampler.ts`). `Protocol.SamplerSpec` is derived from it, and the learner and
 * the reports go through the entries (no switch over sampler kinds).
 * @since 0.3.0
 */
import { Registry } from "@reidfx/tensor"
import { episodic } from "./samplers/Episodic.ts"
import * as MethodSampler from "./samplers/MethodSampler.ts"
import { pk } from "./samplers/PK.ts"

export { MethodSampler }

/** The built-in entries. @category catalog */
export const entries = [pk, episodic] as const

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<MethodSampler.Any> = Registry.make<MethodSampler.Any>("sampler", entries)

type SpecSchemas<Es extends ReadonlyArray<MethodSampler.Any>> = {
  readonly [K in keyof Es]: Es[K] extends MethodSampler.MethodSampler<infer N, infer Fs>
    ? ReturnType<typeof MethodSampler.specSchema<N, Fs>>
    : never
}

/** The protocol Schemas of entries, one per entry. @category schemas */
export const specSchemas = <const Es extends ReadonlyArray<MethodSampler.Any>>(es: Es): SpecSchemas<Es> =>
  es.map((e) => MethodSampler.specSchema(e)) as never
