/**
 * CUHK03 single-gallery-shot CMC (Li, Zhao, Xiao, Wang, "DeepReID", CVPR 2014; the `single_gallery_shot` mode of
 * open-reid's `cmc`): for every query, the gallery keeps **one randomly drawn image per identity**, and rank-k is
 * averaged over the draws.
 *
 * **Exact mode (default)** computes the expectation over the draw in closed form instead of sampling it. For a
 * query, let the valid gallery (after the junk rules and, by default, the removal of the query's camera) hold the
 * query's identity with `p` images and other identities `n` with `s_n` images each; items are ordered by
 * increasing distance, ties toward the lower index. Identities are drawn independently and uniformly, so:
 * 1. the drawn positive is each positive image `x` with probability `1/p`;
 * 2. given `x`, the drawn image of identity `n` precedes `x` with probability `pi_n(x) = c_n(x) / s_n`, where
 *    `c_n(x)` counts the images of `n` that precede `x`, independently across identities;
 * 3. so the rank of `x` in the drawn gallery (0-based) is a Poisson-binomial variable `R(x) = sum_n Bernoulli(pi_n(x))`,
 *    and `CMC(k) = (1/p) sum_x P(R(x) <= k - 1)`, where `P(R(x) = r)` for `r < maxRank` comes from the usual dynamic
 *    programme `f'(r) = f(r) (1 - pi) + f(r - 1) pi` over the identities with `pi_n(x) > 0`.
 * Distractor images (identity 0 by default) are not a person: each is kept as its own singleton identity (always
 * present). Queries without a valid match are skipped and counted.
 *
 * **Sampled mode** draws `repeats` galleries per query from a seeded `RandomStream` (open-reid uses 10 draws; the
 * default here is 100) and averages; it converges to the exact mode.
 * @since 0.1.0
 */
import { NonFiniteTensor, RandomStream } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import { NoValidQuery } from "./errors.ts"
import { countNonFinite, toInt32 } from "./Features.ts"
import { attempt, checkLength, checkNonEmpty, decodeOptions, type EvalFailure } from "./internal.ts"
import type { Labels } from "./Ranking.ts"

const withDefault = <S extends Schema.Top>(schema: S, value: S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultTypeKey(Effect.succeed(value)))

/** Options of the single-gallery-shot CMC. @category options */
export const SingleGalleryShotOptions = Schema.Struct({
  /** `"exact"` expectation over the draw (default) or `"sampled"` draws. */
  mode: withDefault(Schema.Literals(["exact", "sampled"]), "exact"),
  /** Draws per query in sampled mode. Default 100. */
  repeats: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 100),
  /** Seed of the draws in sampled mode. Default 0. */
  seed: withDefault(Schema.Int, 0),
  /** Length of the CMC curve. Default 50. */
  maxRank: withDefault(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), 50),
  /** Remove every gallery image from the query's camera (CUHK03: gallery = the other camera). Default true. */
  separateCameraSet: withDefault(Schema.Boolean, true),
  /** Same identity and same camera is junk (implied by `separateCameraSet`). Default true. */
  sameCameraJunk: withDefault(Schema.Boolean, true),
  /** Identities that are always junk. Default `[-1]`. */
  junkIdentities: withDefault(Schema.Array(Schema.Int), [-1]),
  /** Identities whose images are negatives, each its own singleton identity. Default `[0]`. */
  distractorIdentities: withDefault(Schema.Array(Schema.Int), [0])
})
export type SingleGalleryShotOptions = typeof SingleGalleryShotOptions.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `SingleGalleryShotOptions`). @since 0.1.0 */
export type SingleGalleryShotOptionsInput = typeof SingleGalleryShotOptions.Encoded

const decode = Schema.decodeUnknownResult(SingleGalleryShotOptions)

/** Result of {@link singleGalleryShotCmc}. */
export interface SingleGalleryShotResult {
  /** `cmc[k-1]` = expected (or sampled) rank-k accuracy. */
  readonly cmc: ReadonlyArray<number>
  readonly numQueries: number
  readonly numValidQueries: number
  readonly skippedQueries: ReadonlyArray<number>
  readonly options: SingleGalleryShotOptions
}

/**
 * Single-gallery-shot CMC from a `[queries x gallery]` row-major distance matrix (see the module doc).
 * @category metrics
 */
export const singleGalleryShotCmc = (
  distances: ArrayLike<number>,
  query: Labels,
  gallery: Labels,
  optionsInput: SingleGalleryShotOptionsInput = {}
): SingleGalleryShotResult => {
  const options = decodeOptions(decode, "single-gallery-shot options", optionsInput)
  const qIds = toInt32(query.ids, "query identities")
  const qCams = toInt32(query.cams, "query cameras")
  const gIds = toInt32(gallery.ids, "gallery identities")
  const gCams = toInt32(gallery.cams, "gallery cameras")
  checkLength("query cameras", qIds.length, qCams.length)
  checkLength("gallery cameras", gIds.length, gCams.length)
  checkNonEmpty("the gallery", gIds.length)
  checkNonEmpty("the query set", qIds.length)
  const Q = qIds.length
  const G = gIds.length
  checkLength("distance matrix (queries x gallery)", Q * G, distances.length)
  const bad = countNonFinite(distances)
  if (bad > 0) throw new NonFiniteTensor({ what: "distance matrix", count: bad })
  const junk = new Set(options.junkIdentities)
  const distractor = new Set(options.distractorIdentities)
  const maxRank = options.maxRank
  const total = new Float64Array(maxRank)
  const skipped: Array<number> = []
  const rng = RandomStream.fromSeed(options.seed, "singleGalleryShot")
  const order = new Int32Array(G)
  for (let i = 0; i < Q; i++) {
    const base = i * G
    const qid = qIds[i]!
    // valid items, sorted by (distance, index)
    let n = 0
    for (let j = 0; j < G; j++) {
      const gid = gIds[j]!
      if (junk.has(gid)) continue
      if (options.separateCameraSet && gCams[j] === qCams[i]) continue
      if (options.sameCameraJunk && gid === qid && gCams[j] === qCams[i] && !distractor.has(gid)) continue
      order[n++] = j
    }
    const sorted = Array.from(order.subarray(0, n)).sort((a, b) => distances[base + a]! - distances[base + b]! || a - b)
    // group keys: identity, or a unique negative key per distractor image
    const group = new Map<number, number>()
    const groupOf = new Int32Array(n)
    const sizes: Array<number> = []
    let positiveGroup = -1
    for (let t = 0; t < n; t++) {
      const j = sorted[t]!
      const gid = gIds[j]!
      const key = distractor.has(gid) ? -1 - j - 2 ** 31 : gid
      let g = group.get(key)
      if (g === undefined) {
        g = sizes.length
        group.set(key, g)
        sizes.push(0)
      }
      sizes[g]!++
      groupOf[t] = g
      if (gid === qid && !distractor.has(gid)) positiveGroup = g
    }
    if (positiveGroup < 0) {
      skipped.push(i)
      continue
    }
    const p = sizes[positiveGroup]!
    if (options.mode === "exact") {
      const seen = new Int32Array(sizes.length)
      const touched: Array<number> = []
      for (let t = 0; t < n; t++) {
        const g = groupOf[t]!
        if (g !== positiveGroup) {
          if (seen[g] === 0) touched.push(g)
          seen[g]!++
          continue
        }
        // P(rank <= r) for the drawn positive x = sorted[t]
        const f = new Float64Array(maxRank)
        f[0] = 1
        let reach = 0
        for (const h of touched) {
          const pi = seen[h]! / sizes[h]!
          reach = Math.min(maxRank - 1, reach + 1)
          for (let r = reach; r >= 1; r--) f[r] = f[r]! * (1 - pi) + f[r - 1]! * pi
          f[0] = f[0]! * (1 - pi)
        }
        let cumulative = 0
        for (let r = 0; r < maxRank; r++) {
          cumulative += f[r]!
          total[r]! += cumulative / p
        }
      }
    } else {
      const members: Array<Array<number>> = sizes.map(() => [])
      for (let t = 0; t < n; t++) members[groupOf[t]!]!.push(t)
      for (let rep = 0; rep < options.repeats; rep++) {
        // drawn position of every identity; the rank of the positive = identities drawn before it
        const drawn = members.map((m) => m[rng.nextInt(m.length)]!)
        const x = drawn[positiveGroup]!
        let rank = 0
        for (let g = 0; g < drawn.length; g++) if (g !== positiveGroup && drawn[g]! < x) rank++
        for (let r = rank; r < maxRank; r++) total[r]! += 1 / options.repeats
      }
    }
  }
  const valid = Q - skipped.length
  if (valid === 0) throw new NoValidQuery({ queries: Q })
  return {
    cmc: Array.from(total, (v) => v / valid),
    numQueries: Q,
    numValidQueries: valid,
    skippedQueries: skipped,
    options
  }
}

/** {@link singleGalleryShotCmc} as an Effect with typed failures. @category metrics */
export const singleGalleryShotCmcEffect = (
  distances: ArrayLike<number>,
  query: Labels,
  gallery: Labels,
  options: SingleGalleryShotOptionsInput = {}
): Effect.Effect<SingleGalleryShotResult, EvalFailure> =>
  attempt(() => singleGalleryShotCmc(distances, query, gallery, options))
