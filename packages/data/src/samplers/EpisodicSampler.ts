/**
 * The episodic sampler of meta-metric learning (prototypical networks, Snell et al. 2017; DMML, Chen et al.
 * 2019; the continual meta-metric learning of the DwoPP paper): an episode is N classes (ways), each with K
 * support items (shots) and Q query items, the support and query items of a class being distinct.
 *
 * Layout (that of `@reidfx/metric`'s `EpisodeLayout`): the N*K support items class-major, then the N*Q query
 * items class-major; episode class c is the c-th identity drawn.
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"
import type { EpisodeLayout } from "../Batch.ts"
import { SamplerError } from "../errors.ts"
import type { Labelled } from "../Item.ts"
import type { IdentityIndex } from "./IdentityIndex.ts"

/** The layout of a few-shot episode: `ways` identities, each with `shots` support and `queries` query units. */
export const EpisodeOptions = Schema.Struct({
  ways: Schema.Int.check(Schema.isGreaterThanOrEqualTo(2)),
  shots: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  queries: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})
export type EpisodeOptions = typeof EpisodeOptions.Type

/** One episode: its entries (support, then queries) and its layout. */
export interface Episode<A> {
  /** support then queries, in the layout above. */
  readonly entries: ReadonlyArray<A>
  readonly episode: EpisodeLayout
  /** The identity of each episode class. */
  readonly classes: ReadonlyArray<number>
}

/** The identities with at least `shots + queries` distinct units (those an episode can use). */
export const eligible = (index: IdentityIndex<Labelled>, options: EpisodeOptions): Array<number> =>
  index.ids.filter((id) => index.byId.get(id)!.length >= options.shots + options.queries)

/** One episode. Throws {@link SamplerError} when fewer than `ways` identities have `shots + queries` units. */
export const episode = <A extends Labelled>(
  index: IdentityIndex<A>,
  rng: RandomStream,
  options: EpisodeOptions
): Episode<A> => {
  const { ways, shots, queries } = options
  const ok = eligible(index, options)
  if (ok.length < ways) {
    throw new SamplerError({
      sampler: "EpisodicSampler",
      detail: `a ${ways}-way episode needs ${ways} identities with at least shots + queries = ${shots + queries} items; only ${ok.length} have that many (lower ways, shots or queries)`
    })
  }
  const classes = rng.sample(ok, ways)
  const support: Array<A> = []
  const query: Array<A> = []
  for (const id of classes) {
    const drawn = rng.sample(index.byId.get(id)!, shots + queries)
    for (let i = 0; i < shots; i++) support.push(index.units[drawn[i]!]!)
    for (let i = shots; i < shots + queries; i++) query.push(index.units[drawn[i]!]!)
  }
  return { entries: [...support, ...query], episode: { ways, shots, queries }, classes }
}
