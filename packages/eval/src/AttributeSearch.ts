/**
 * Attribute-filtered search (the seed's "ReID with human attributes" used at query time, as in the attribute-
 * assisted retrieval of Lin et al., "Improving Person Re-identification by Attribute and Identity Learning", and
 * the attribute queries of surveillance search): a query names required attribute values ("backpack: yes,
 * skirt: no"), the gallery items whose predicted attributes disagree are removed, and the rest is ranked by the
 * ReID distance as usual:
 *
 *     keep_j = AND_{(a, v) in query} [ (s_ja > threshold) == (v = 1) ]      (s: attribute scores, logits: threshold 0)
 *     ranking_q = the kept gallery items sorted by d(q, j) (ties to the lower index)
 *
 * Works on any `[G, A]` row-major attribute scores (an attribute head's logits, or labels for a known gallery).
 * @since 0.1.0
 */
import { InvalidOption } from "@reidfx/tensor"
import { LengthMismatch } from "./errors.ts"
import { type Candidates, topK } from "./Identification.ts"

/** Required attribute values: attribute index -> 1 (present) or 0 (absent). @category models @since 0.1.0 */
export type AttributeQuery = ReadonlyArray<readonly [attribute: number, value: 0 | 1]>

/**
 * Which gallery rows satisfy every constraint of `query` (1) or not (0), for `[G, A]` row-major `scores`
 * (`score > threshold` is "present"). An attribute index outside `0..A-1` is an `InvalidOption`.
 * @category attributes
 * @since 0.1.0
 */
export const satisfying = (
  scores: ArrayLike<number>,
  attributes: number,
  query: AttributeQuery,
  threshold = 0
): Uint8Array => {
  if (!(Number.isInteger(attributes) && attributes > 0) || scores.length % attributes !== 0)
    throw new LengthMismatch({
      what: `attribute scores ([G, ${attributes}])`,
      expected: Math.ceil(scores.length / Math.max(1, attributes)) * Math.max(1, attributes),
      actual: scores.length
    })
  for (const [a, v] of query)
    if (!(Number.isInteger(a) && a >= 0 && a < attributes) || (v !== 0 && v !== 1))
      throw new InvalidOption({
        what: "attribute query",
        detail: `[${a}, ${v}]: the attribute must be 0..${attributes - 1} and the value 0 or 1`
      })
  const g = scores.length / attributes
  const keep = new Uint8Array(g)
  for (let j = 0; j < g; j++)
    keep[j] = query.every(([a, v]) => scores[j * attributes + a]! > threshold === (v === 1)) ? 1 : 0
  return keep
}

/**
 * The top-k of each query among the gallery items `keep` marks (a `[Q x G]` distance matrix; see the module doc).
 * Indices are the gallery's own; a query may get fewer than k (or no) candidates.
 * @category attributes
 * @since 0.1.0
 */
export const search = (
  distances: ArrayLike<number>,
  queries: number,
  gallery: number,
  keep: ArrayLike<number | boolean>,
  k: number
): Array<Candidates> => {
  if (distances.length !== queries * gallery)
    throw new LengthMismatch({
      what: "distance matrix (queries x gallery)",
      expected: queries * gallery,
      actual: distances.length
    })
  if (keep.length !== gallery)
    throw new LengthMismatch({ what: "gallery filter", expected: gallery, actual: keep.length })
  const kept = Array.from({ length: gallery }, (_, j) => j).filter((j) => keep[j])
  const sub = new Float64Array(queries * kept.length)
  for (let q = 0; q < queries; q++)
    kept.forEach((j, c) => {
      sub[q * kept.length + c] = distances[q * gallery + j]!
    })
  return topK(sub, queries, kept.length, k).map((c) => ({
    indices: c.indices.map((i) => kept[i]!),
    distances: c.distances
  }))
}
