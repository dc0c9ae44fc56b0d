/**
 * Checks that every file of a dataset decodes (readers only list files; decoding happens in the pipeline).
 * The first file that does not decode fails the check with a `CorruptImage` naming it.
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Dataset } from "../Dataset.ts"
import type { CorruptImage } from "../errors.ts"
import { verify } from "../pipeline/Decode.ts"

/** Decodes every file item of the dataset (`concurrency` at a time, default 4). */
export const images = (dataset: Dataset, concurrency = 4): Effect.Effect<void, CorruptImage> =>
  Effect.forEach(
    [...dataset.train, ...dataset.query, ...dataset.gallery].flatMap((i) =>
      i.source._tag === "File" ? [i.source.path] : []
    ),
    verify,
    { concurrency, discard: true }
  )
