/**
 * `reidfx eval`: evaluates query and gallery features from any framework (`.npy`, `.json`, `.csv`) under the
 * Market-1501 ranking protocol (options as flags), optionally with k-reciprocal re-ranking, prints a table and
 * writes `--json`. Every input problem ends in a one-line message, never a stack trace.
 * @since 0.1.0
 */
import {
  AlignedDistance,
  evaluateRanking,
  type EvalFailure,
  type FeatureMatrix,
  Features,
  type LabelColumns,
  parseFeatureFile,
  parseLabelFile,
  parseStripeFile,
  pairwiseDistances,
  type RankingResult,
  rankingFromDistances,
  reRankFeatures
} from "@reidfx/eval"
import { AtomicFile, Backend, BoundedRead } from "@reidfx/tensor"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import * as BackendFlag from "../BackendFlag.ts"
import * as Visrank from "../Visrank.ts"

const file = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description))
const optionalFile = (name: string, description: string) => file(name, description).pipe(Flag.optional)

const ints = (name: string, fallback: string, description: string) =>
  Flag.String(name).pipe(Flag.withDefault(fallback), Flag.withDescription(description))

/** The flags of `reidfx eval`. */
export const evalFlags = {
  queryFeatures: file("query-features", "Query features: .npy [n, dim], .json [[...]] or .csv"),
  galleryFeatures: file("gallery-features", "Gallery features: .npy [n, dim], .json [[...]] or .csv"),
  queryLabels: optionalFile(
    "query-labels",
    "Query identities and cameras in one file (.csv with id,cam columns, .json, .npy [n, 2])"
  ),
  galleryLabels: optionalFile("gallery-labels", "Gallery identities and cameras in one file"),
  queryIds: optionalFile("query-ids", "Query identities (.npy [n], .json [...], .csv one column)"),
  queryCams: optionalFile("query-cams", "Query cameras"),
  galleryIds: optionalFile("gallery-ids", "Gallery identities"),
  galleryCams: optionalFile("gallery-cams", "Gallery cameras"),
  metric: Flag.Literals("metric", ["euclidean", "squaredEuclidean", "cosine"]).pipe(
    Flag.withDefault("euclidean" as const),
    Flag.withDescription("Distance between features (default euclidean)")
  ),
  maxRank: Flag.Int("max-rank").pipe(
    Flag.withDefault(50),
    Flag.withDescription("Length of the CMC curve in --json (default 50)")
  ),
  sameCameraJunk: Flag.Boolean("same-camera-junk").pipe(
    Flag.withDefault(true),
    Flag.withDescription(
      "Same identity and same camera as the query is junk (default true; --no-same-camera-junk to keep them)"
    )
  ),
  junkIds: ints("junk-ids", "-1", "Comma-separated identities that are always junk (default -1; empty for none)"),
  distractorIds: ints(
    "distractor-ids",
    "0",
    "Comma-separated identities that are always negatives (default 0; empty for none)"
  ),
  noMatch: Flag.Literals("no-match", ["skip", "zero"]).pipe(
    Flag.withDefault("skip" as const),
    Flag.withDescription("Queries without a valid match: skip (default, counted) or zero (scored 0)")
  ),
  ap: Flag.Literals("ap", ["nonInterpolated", "trapezoid"]).pipe(
    Flag.withDefault("nonInterpolated" as const),
    Flag.withDescription("Average precision: nonInterpolated (default) or trapezoid (official Market-1501 code)")
  ),
  rerank: Flag.Boolean("rerank").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Also report k-reciprocal re-ranking (Zhong et al. 2017) on squared Euclidean distances (of L2-normalised features with --metric cosine)"
    )
  ),
  k1: Flag.Int("k1").pipe(Flag.withDefault(20), Flag.withDescription("Re-ranking k1 (default 20)")),
  k2: Flag.Int("k2").pipe(Flag.withDefault(6), Flag.withDescription("Re-ranking k2 (default 6)")),
  lambda: Flag.Finite("lambda").pipe(Flag.withDefault(0.3), Flag.withDescription("Re-ranking lambda (default 0.3)")),
  json: optionalFile("json", "Write the results (with CMC curves and per-query counts) to this JSON file"),
  queryLocal: optionalFile(
    "query-local",
    "AlignedReID: query stripe features (.npy [n, stripes, dim]); adds the local and global + local distances"
  ),
  galleryLocal: optionalFile("gallery-local", "AlignedReID: gallery stripe features"),
  stripes: Flag.Int("stripes").pipe(
    Flag.optional,
    Flag.withDescription("Stripes per row when the local features are 2-D files [n, stripes * dim]")
  ),
  localWeight: Flag.Finite("local-weight").pipe(
    Flag.withDefault(1),
    Flag.withDescription("Weight of the local distance in global + local (default 1)")
  ),
  visrank: optionalFile(
    "visrank",
    "Write the ranked lists (ranked.html with the image crops, ranked.png) into this folder; needs --query-paths and --gallery-paths"
  ),
  queryPaths: optionalFile(
    "query-paths",
    "Query image paths, one per line in feature order (relative to this file; reidfx test writes query_paths.txt)"
  ),
  galleryPaths: optionalFile("gallery-paths", "Gallery image paths, one per line in feature order"),
  visrankTop: Flag.Int("visrank-top").pipe(
    Flag.withDefault(10),
    Flag.withDescription("Gallery items per query in the ranked lists (default 10)")
  ),
  visrankQueries: Flag.Int("visrank-queries").pipe(
    Flag.withDefault(12),
    Flag.withDescription("Queries shown in the ranked lists, evenly spaced (default 12)")
  )
}

/** Reads a list of image paths (one per line, relative to the list's folder) that must hold `rows` entries. */
const readPaths = (file: string, flag: string, rows: number) =>
  BoundedRead.readText(file).pipe(
    Effect.mapError((e) => userError(`${flag} ${file}: ${e.reason}`)),
    Effect.flatMap((text) => {
      const lines = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith("#"))
      return lines.length === rows
        ? Effect.succeed(lines.map((l) => path.resolve(path.dirname(file), l)))
        : Effect.fail(userError(`${flag} ${file}: ${lines.length} paths for ${rows} feature rows`))
    })
  )

/** A one-line user error (shared by the application commands). */
export const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

const parseIdList = (text: string, flag: string): Effect.Effect<ReadonlyArray<number>, CliError.UserError> => {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const values = parts.map(Number)
  const bad = parts.find((_, i) => !Number.isInteger(values[i]))
  return bad === undefined ? Effect.succeed(values) : Effect.fail(userError(`--${flag}: "${bad}" is not an integer`))
}

/** Reads a feature or label file: a regular file of at most 4 GiB (a FIFO or a device is refused). */
export const read = (path: string) => BoundedRead.readBytes(path).pipe(Effect.mapError((e) => userError(e.message)))

/** Runs `f`, turning an eval failure into a one-line user error. */
export const fromFailure = <A>(f: () => A): Effect.Effect<A, CliError.UserError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      if (e !== null && typeof e === "object" && "_tag" in e && e instanceof Error) {
        return Effect.fail(userError((e as EvalFailure).message))
      }
      return Effect.die(e)
    }
  })

const readLabels = (side: "query" | "gallery", idsFile: Option.Option<string>, camsFile: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isNone(idsFile) || Option.isNone(camsFile)) {
      return yield* Effect.fail(
        userError(
          `give the ${side} identities and cameras: --${side}-labels <file>, or both --${side}-ids and --${side}-cams`
        )
      )
    }
    const ids = yield* single(idsFile.value, `--${side}-ids`)
    const cams = yield* single(camsFile.value, `--${side}-cams`)
    return { ids, cams }
  })

/** A one-column label file (identities). */
export const single = (path: string, flag: string) =>
  Effect.gen(function* () {
    const bytes = yield* read(path)
    const parsed: LabelColumns = yield* fromFailure(() => parseLabelFile(bytes, path))
    return parsed._tag === "Single"
      ? parsed.values
      : yield* Effect.fail(userError(`${flag} ${path}: expected one column, found identities and cameras`))
  })

const pct = (x: number) => (100 * x).toFixed(2).padStart(7)

/** The printed table: one row per evaluation. */
export const formatTable = (rows: ReadonlyArray<readonly [string, RankingResult]>): string => {
  const head = `${"".padEnd(11)} ${["rank-1", "rank-5", "rank-10", "mAP", "mINP"].map((h) => h.padStart(7)).join(" ")}`
  const lines = rows.map(
    ([name, r]) => `${name.padEnd(11)} ${[r.rank1, r.rank5, r.rank10, r.mAP, r.mINP].map(pct).join(" ")}`
  )
  return [head, ...lines].join("\n")
}

const summary = (r: RankingResult) => ({
  rank1: r.rank1,
  rank5: r.rank5,
  rank10: r.rank10,
  mAP: r.mAP,
  mINP: r.mINP,
  cmc: r.cmc,
  numQueries: r.numQueries,
  numValidQueries: r.numValidQueries,
  skippedQueries: r.skippedQueries
})

/** `reidfx eval`. */
export const evalCommand = Command.make("eval", evalFlags, (flags) =>
  Effect.gen(function* () {
    const junkIdentities = yield* parseIdList(flags.junkIds, "junk-ids")
    const distractorIdentities = yield* parseIdList(flags.distractorIds, "distractor-ids")
    const features = (path: string) =>
      Effect.flatMap(read(path), (bytes) => fromFailure((): FeatureMatrix => parseFeatureFile(bytes, path)))
    const queryFeatures = yield* features(flags.queryFeatures)
    const galleryFeatures = yield* features(flags.galleryFeatures)
    const labels = (
      side: "query" | "gallery",
      both: Option.Option<string>,
      ids: Option.Option<string>,
      cams: Option.Option<string>
    ) =>
      Option.isSome(both)
        ? Effect.flatMap(read(both.value), (bytes) =>
            Effect.flatMap(
              fromFailure(() => parseLabelFile(bytes, both.value)),
              (parsed) =>
                parsed._tag === "Both"
                  ? Effect.succeed({ ids: parsed.ids, cams: parsed.cams })
                  : Effect.fail(
                      userError(
                        `--${side}-labels ${both.value}: expected identities and cameras (two columns), found one`
                      )
                    )
            )
          )
        : readLabels(side, ids, cams)
    const queryLabels = yield* labels("query", flags.queryLabels, flags.queryIds, flags.queryCams)
    const galleryLabels = yield* labels("gallery", flags.galleryLabels, flags.galleryIds, flags.galleryCams)
    const options = {
      metric: flags.metric,
      maxRank: flags.maxRank,
      sameCameraJunk: flags.sameCameraJunk,
      junkIdentities,
      distractorIdentities,
      queriesWithoutMatch: flags.noMatch,
      averagePrecision: flags.ap
    }
    const query = { features: queryFeatures, ...queryLabels }
    const gallery = { features: galleryFeatures, ...galleryLabels }
    yield* Backend.Backend
    const original = yield* fromFailure(() => evaluateRanking({ query, gallery }, options))
    const rows: Array<readonly [string, RankingResult]> = [["original", original]]
    let reRanked: Float32Array | undefined
    if (flags.rerank) {
      // re-ranking works on squared Euclidean distances; with --metric cosine the features are L2-normalised first
      // (squared Euclidean = 2 x cosine distance there, and the row-max normalisation of re-ranking cancels the 2)
      const [q, g] =
        flags.metric === "cosine"
          ? [Features.l2Normalize(queryFeatures), Features.l2Normalize(galleryFeatures)]
          : [queryFeatures, galleryFeatures]
      const distances = yield* fromFailure(() =>
        reRankFeatures(q, g, { k1: flags.k1, k2: flags.k2, lambda: flags.lambda })
      )
      rows.push([
        "re-ranked",
        yield* fromFailure(() => rankingFromDistances(distances, queryLabels, galleryLabels, options))
      ])
      reRanked = distances
    }
    if (Option.isSome(flags.queryLocal) !== Option.isSome(flags.galleryLocal)) {
      return yield* Effect.fail(
        userError("give both --query-local and --gallery-local (stripe features of the same model)")
      )
    }
    if (Option.isSome(flags.queryLocal) && Option.isSome(flags.galleryLocal)) {
      const stripes = Option.getOrUndefined(flags.stripes)
      const local = (path: string, rows: number) =>
        Effect.flatMap(read(path), (bytes) =>
          Effect.flatMap(
            fromFailure(() => parseStripeFile(bytes, path, stripes)),
            (s) =>
              s.rows === rows
                ? Effect.succeed(s)
                : Effect.fail(userError(`${path}: ${s.rows} rows of stripe features for ${rows} items`))
          )
        )
      const ql = yield* local(flags.queryLocal.value, queryFeatures.rows)
      const gl = yield* local(flags.galleryLocal.value, galleryFeatures.rows)
      const dl = yield* fromFailure(() => AlignedDistance.localDistances(ql, gl))
      const dg = yield* fromFailure(() => pairwiseDistances(queryFeatures, galleryFeatures, { metric: flags.metric }))
      rows.push(["local", yield* fromFailure(() => rankingFromDistances(dl, queryLabels, galleryLabels, options))])
      rows.push([
        "global+local",
        yield* fromFailure(() =>
          rankingFromDistances(AlignedDistance.combine(dg, dl, flags.localWeight), queryLabels, galleryLabels, options)
        )
      ])
    }
    yield* Console.log(
      `${original.numQueries} queries (${original.numValidQueries} with a valid match), ${galleryFeatures.rows} gallery items, ${queryFeatures.dim}-d, ${flags.metric}`
    )
    yield* Console.log(formatTable(rows))
    if (Option.isSome(flags.visrank)) {
      if (Option.isNone(flags.queryPaths) || Option.isNone(flags.galleryPaths)) {
        return yield* Effect.fail(
          userError(
            "--visrank needs the image paths: --query-paths and --gallery-paths (one path per line, in feature order)"
          )
        )
      }
      const qPaths = yield* readPaths(flags.queryPaths.value, "--query-paths", queryFeatures.rows)
      const gPaths = yield* readPaths(flags.galleryPaths.value, "--gallery-paths", galleryFeatures.rows)
      const distances =
        reRanked ??
        (yield* fromFailure(() => pairwiseDistances(queryFeatures, galleryFeatures, { metric: flags.metric })))
      const folder = flags.visrank.value
      yield* Effect.tryPromise({
        try: () => fs.mkdir(folder, { recursive: true }),
        catch: (e) => userError(`--visrank ${folder}: cannot create the folder (${String(e)})`)
      })
      const pic = yield* Visrank.write(
        distances,
        { paths: qPaths, ...queryLabels },
        { paths: gPaths, ...galleryLabels },
        flags.visrank.value,
        {
          ...options,
          topK: flags.visrankTop,
          queries: flags.visrankQueries,
          title: `${reRanked === undefined ? flags.metric : "re-ranked"} top-${flags.visrankTop}`
        }
      )
      yield* Console.log(`ranked lists of ${pic.rows.length} queries: ${pic.html}, ${pic.png}`)
    }
    if (Option.isSome(flags.json)) {
      const report = {
        options: {
          ...options,
          ...(flags.rerank
            ? {
                reRanking: {
                  k1: flags.k1,
                  k2: flags.k2,
                  lambda: flags.lambda,
                  distance:
                    flags.metric === "cosine" ? "squaredEuclidean of L2-normalised features" : "squaredEuclidean"
                }
              }
            : {})
        },
        original: summary(original),
        ...Object.fromEntries(
          rows
            .slice(1)
            .map(([name, r]) => [
              name === "re-ranked" ? "reRanked" : name === "local" ? "local" : "globalLocal",
              summary(r)
            ])
        )
      }
      yield* AtomicFile.writeFile(flags.json.value, `${JSON.stringify(report, null, 2)}\n`).pipe(
        Effect.mapError((e) => userError(e.message))
      )
      yield* Console.log(`wrote ${flags.json.value}`)
    }
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e instanceof CliError.UserError ? e : userError(e.message)))
  )
).pipe(
  Command.withDescription(
    "Evaluate query/gallery features (.npy, .json, .csv) with identities and cameras: rank-1/5/10, mAP, mINP (Market-1501 protocol), optionally with --rerank"
  )
)
