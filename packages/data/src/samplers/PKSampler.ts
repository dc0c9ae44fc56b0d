/**
 * The PK identity sampler of batch-hard triplet training (Hermans, Beyer and Leibe, "In Defense of the Triplet
 * Loss for Person Re-Identification", 2017): a batch is P identities with K instances each, so every anchor has
 * K-1 positives and (P-1)K negatives in the batch.
 *
 * Two forms:
 * - {@link batch}: one batch, independent of any other (P identities uniformly without replacement; K
 *   instances without replacement, with replacement when the identity has fewer than K);
 * - {@link epoch}: the batches of one epoch exactly as torchreid's `RandomIdentitySampler`: each identity's
 *   instances are shuffled (padded with replacement to K if fewer) and cut into chunks of K; while at least P
 *   identities have chunks left, P of them are drawn and each gives its next chunk.
 *
 * An epoch has at most {@link batchesPerEpoch} batches: `floor(L / (P*K))` with
 * `L = sum over identities of (n < K ? K : n - n mod K)` (torchreid's `__len__` divided by the batch size).
 * @since 0.1.0
 */
import type { RandomStream } from "@reidfx/tensor"
import { Schema } from "effect"
import { SamplerError } from "../errors.ts"
import type { Labelled } from "../Item.ts"
import type { IdentityIndex } from "./IdentityIndex.ts"

/** P identities per batch, K instances per identity. */
export const PKOptions = Schema.Struct({
  p: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  k: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})
export type PKOptions = typeof PKOptions.Type

const check = (name: string, index: IdentityIndex<Labelled>, p: number): void => {
  if (index.ids.length < p) {
    throw new SamplerError({
      sampler: name,
      detail: `needs at least P = ${p} identities, the data has ${index.ids.length}; lower P or use more identities`
    })
  }
}

/** K positions of one identity's units (without replacement if it has at least K, else with replacement). */
export const instances = (rng: RandomStream, positions: ReadonlyArray<number>, k: number): Array<number> =>
  positions.length >= k ? rng.sample(positions, k) : Array.from({ length: k }, () => rng.pick(positions))

/** One PK batch (identity-major: K units of the first identity, then of the second, ...). Throws {@link SamplerError}. */
export const batch = <A extends Labelled>(index: IdentityIndex<A>, rng: RandomStream, options: PKOptions): Array<A> => {
  check("PKSampler", index, options.p)
  const out: Array<A> = []
  for (const id of rng.sample(index.ids, options.p)) {
    for (const i of instances(rng, index.byId.get(id)!, options.k)) out.push(index.units[i]!)
  }
  return out
}

/** torchreid's epoch length in batches (an upper bound on {@link epoch}'s count). */
export const batchesPerEpoch = (index: IdentityIndex<Labelled>, options: PKOptions): number => {
  let length = 0
  for (const positions of index.byId.values()) {
    const n = positions.length
    length += n < options.k ? options.k : n - (n % options.k)
  }
  return Math.floor(length / (options.p * options.k))
}

/** All batches of one epoch, as torchreid's `RandomIdentitySampler`. Throws {@link SamplerError}. */
export const epoch = <A extends Labelled>(
  index: IdentityIndex<A>,
  rng: RandomStream,
  options: PKOptions
): Array<Array<A>> => {
  check("PKSampler", index, options.p)
  const { p, k } = options
  const chunks = new Map<number, Array<Array<number>>>()
  for (const id of index.ids) {
    const positions = index.byId.get(id)!
    const padded = positions.length < k ? Array.from({ length: k }, () => rng.pick(positions)) : positions
    const shuffled = rng.shuffle(padded)
    const list: Array<Array<number>> = []
    for (let i = 0; i + k <= shuffled.length; i += k) list.push(shuffled.slice(i, i + k))
    chunks.set(id, list)
  }
  let available = index.ids.slice()
  const batches: Array<Array<A>> = []
  while (available.length >= p) {
    const selected = rng.sample(available, p)
    const out: Array<A> = []
    for (const id of selected) {
      const list = chunks.get(id)!
      for (const i of list.shift()!) out.push(index.units[i]!)
      if (list.length === 0) available = available.filter((x) => x !== id)
    }
    batches.push(out)
  }
  return batches
}
