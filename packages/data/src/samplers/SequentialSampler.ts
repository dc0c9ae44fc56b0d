/**
 * Sequential evaluation batches: the units in their order, cut into batches of `batchSize` (the last one may
 * be smaller). Every unit appears exactly once.
 * @since 0.1.0
 */

/** Consecutive chunks of at most `batchSize` units. */
export const batches = <A>(units: ReadonlyArray<A>, batchSize: number): Array<Array<A>> => {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`SequentialSampler: batchSize must be a positive integer, got ${batchSize}`)
  const out: Array<Array<A>> = []
  for (let i = 0; i < units.length; i += batchSize) out.push(units.slice(i, i + batchSize))
  return out
}
