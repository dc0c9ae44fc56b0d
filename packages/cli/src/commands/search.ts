/**
 * `reidfx search`: query images or tracklets against a gallery, written as ranked lists to look at
 * (`ranked.html` with the real crops, `ranked.png` as torchreid's visrank) and as `search.json` (per query, the
 * top-k gallery entries with their paths and distances).
 *
 * Each side is an image list (`--query-images`, `--gallery-images`: one `path[,tracklet]` per line, relative to the
 * list; images sharing a tracklet name are one entry whose embedding is the mean of theirs, as the video protocols'
 * temporal average pooling), or features from any model (`--query-features q.npy` + `--query-paths`, the same line
 * format) ; the gallery may also be a dataset's gallery split (`--layout market1501 --root DIR`, `--manifest`), whose
 * identities and cameras then frame the results green / red / grey when the query's are given (`--query-ids`,
 * `--query-cams`). Images are embedded with `--model` (a run folder, weights folder, checkpoint or state dict) and the
 * evaluation settings of `reidfx test`.
 *
 * Attribute-filtered search (`--gallery-attributes scores.npy --require backpack=1,skirt=0`): the gallery entries
 * whose attribute scores (an attribute head's logits, or 0/1 labels; `[G, A]`) disagree with a required value are
 * removed before ranking, as `AttributeSearch.satisfying` defines (`score > --attribute-threshold` is "present");
 * attributes are named by index or by the lines of `--attribute-names`.
 * @since 0.1.0
 */
import * as BackendFlag from "../BackendFlag.ts"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type { Item } from "@reidfx/data"
import {
  AttributeSearch,
  type FeatureMatrix,
  pairwiseDistances,
  parseFeatureFile,
  RankedList,
  temporalPool
} from "@reidfx/eval"
import type { SavedModel } from "@reidfx/train"
import { AtomicFile, Backend, BoundedRead } from "@reidfx/tensor"
import { Evaluate } from "@reidfx/reid"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as DatasetSource from "../DatasetSource.ts"
import * as Visrank from "../Visrank.ts"
import { fromFailure, read, single, userError } from "./eval.ts"
import { loadModel, modelFlags } from "./test.ts"

const { model: _model, ...embedFlags } = modelFlags

/** The flags of `reidfx search`. */
export const searchFlags = {
  model: Flag.String("model").pipe(
    Flag.optional,
    Flag.withDescription("Saved model that embeds the images (needed unless both sides are features)")
  ),
  ...embedFlags,
  queryImages: Flag.String("query-images").pipe(
    Flag.optional,
    Flag.withDescription("Query images: one path[,tracklet] per line (images of a tracklet are pooled)")
  ),
  queryFeatures: Flag.String("query-features").pipe(
    Flag.optional,
    Flag.withDescription("Query features from any model (.npy / .json / .csv [n, dim]); with --query-paths")
  ),
  queryPaths: Flag.String("query-paths").pipe(
    Flag.optional,
    Flag.withDescription("Image path[,tracklet] of each query feature row")
  ),
  queryIds: Flag.String("query-ids").pipe(
    Flag.optional,
    Flag.withDescription("Query identities (one per line / row), to frame matches")
  ),
  queryCams: Flag.String("query-cams").pipe(Flag.optional, Flag.withDescription("Query cameras (with --query-ids)")),
  galleryImages: Flag.String("gallery-images").pipe(
    Flag.optional,
    Flag.withDescription("Gallery images: one path[,tracklet] per line")
  ),
  galleryFeatures: Flag.String("gallery-features").pipe(
    Flag.optional,
    Flag.withDescription("Gallery features from any model; with --gallery-paths")
  ),
  galleryPaths: Flag.String("gallery-paths").pipe(
    Flag.optional,
    Flag.withDescription("Image path[,tracklet] of each gallery feature row")
  ),
  galleryIds: Flag.String("gallery-ids").pipe(
    Flag.optional,
    Flag.withDescription("Gallery identities (one per line / row), to frame matches")
  ),
  galleryCams: Flag.String("gallery-cams").pipe(
    Flag.optional,
    Flag.withDescription("Gallery cameras (with --gallery-ids)")
  ),
  layout: Flag.Literals("layout", DatasetSource.layoutNames).pipe(
    Flag.optional,
    Flag.withDescription("Dataset layout of --root; its gallery split is searched")
  ),
  root: Flag.String("root").pipe(
    Flag.optional,
    Flag.withDescription("Dataset folder whose gallery split is searched (with --layout)")
  ),
  manifest: Flag.String("manifest").pipe(
    Flag.optional,
    Flag.withDescription("CSV manifest whose gallery split is searched")
  ),
  metric: Flag.Literals("metric", ["cosine", "euclidean", "squaredEuclidean"]).pipe(
    Flag.withDefault("cosine" as const),
    Flag.withDescription("Distance (default cosine)")
  ),
  pooling: Flag.Literals("pooling", ["mean", "max"]).pipe(
    Flag.withDefault("mean" as const),
    Flag.withDescription("Pooling of a tracklet's image embeddings (default mean)")
  ),
  top: Flag.Int("top").pipe(Flag.withDefault(10), Flag.withDescription("Gallery entries per query (default 10)")),
  maxQueries: Flag.Int("max-queries").pipe(
    Flag.withDefault(50),
    Flag.withDescription("Most queries drawn in the pictures, evenly spaced (default 50; search.json holds all)")
  ),
  galleryAttributes: Flag.String("gallery-attributes").pipe(
    Flag.optional,
    Flag.withDescription(
      "Attribute scores of each gallery entry ([G, A] .npy / .json / .csv: attribute logits or 0/1 labels), for --require"
    )
  ),
  require: Flag.String("require").pipe(
    Flag.optional,
    Flag.withDescription(
      "Required attribute values, e.g. backpack=1,skirt=0 (an attribute index or a name of --attribute-names; 1 present, 0 absent)"
    )
  ),
  attributeNames: Flag.String("attribute-names").pipe(
    Flag.optional,
    Flag.withDescription("Names of the attribute columns, one per line (for --require by name)")
  ),
  attributeThreshold: Flag.Finite("attribute-threshold").pipe(
    Flag.withDefault(0),
    Flag.withDescription("A score above it means present (default 0: logits, or 0/1 labels)")
  ),
  output: Flag.String("output").pipe(
    Flag.withDefault("reidfx-search"),
    Flag.withDescription("Output folder (default reidfx-search)")
  )
}

/** One line of a path list: `path[,tracklet]` (the last comma separates the tracklet name). */
export interface ListEntry {
  readonly path: string
  readonly tracklet?: string
}

/** Reads a `path[,tracklet]` list, paths relative to the list's folder. */
export const readList = (
  file: string,
  flag: string
): Effect.Effect<ReadonlyArray<ListEntry>, ReturnType<typeof userError>> =>
  BoundedRead.readText(file).pipe(
    Effect.mapError((e) => userError(`${flag} ${file}: ${e.reason}`)),
    Effect.flatMap((text) => {
      const lines = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith("#"))
      if (lines.length === 0) return Effect.fail(userError(`${flag} ${file}: no image path`))
      return Effect.succeed(
        lines.map((l) => {
          const comma = l.lastIndexOf(",")
          const [p, t] = comma < 0 ? [l, undefined] : [l.slice(0, comma).trim(), l.slice(comma + 1).trim()]
          return { path: path.resolve(path.dirname(file), p), ...(t === undefined || t === "" ? {} : { tracklet: t }) }
        })
      )
    })
  )

/** One searchable side after pooling: one row per entry (an image, or a tracklet's images). */
interface Side {
  readonly features: FeatureMatrix
  /** Entry names (the image path, or the tracklet name). */
  readonly names: ReadonlyArray<string>
  /** The images of each entry; the first one is drawn. */
  readonly images: ReadonlyArray<ReadonlyArray<string>>
  readonly ids?: ReadonlyArray<number>
  readonly cams?: ReadonlyArray<number>
}

/**
 * Groups rows by tracklet (in order of first appearance; a row without a tracklet is its own entry) and pools their
 * features. Labels, when given per row, are taken from each entry's first row.
 */
export const group = (
  features: FeatureMatrix,
  entries: ReadonlyArray<ListEntry>,
  pooling: "mean" | "max",
  labels?: { readonly ids: ReadonlyArray<number>; readonly cams: ReadonlyArray<number> }
): Side => {
  const index = new Map<string, number>()
  const names: Array<string> = []
  const images: Array<Array<string>> = []
  const first: Array<number> = []
  const of = entries.map((e, row) => {
    const key = e.tracklet === undefined ? `\u0000${row}` : e.tracklet
    let k = index.get(key)
    if (k === undefined) {
      index.set(key, (k = names.length))
      names.push(e.tracklet ?? e.path)
      images.push([])
      first.push(row)
    }
    images[k]!.push(e.path)
    return k
  })
  const pooled = names.length === entries.length ? features : temporalPool(features, of, names.length, pooling)
  return {
    features: pooled,
    names,
    images,
    ...(labels === undefined ? {} : { ids: first.map((r) => labels.ids[r]!), cams: first.map((r) => labels.cams[r]!) })
  }
}

/**
 * Parses `--require` (`a=1,b=0`: an attribute index, or a name among `names`) into an attribute query; a bad pair is
 * a one-line error naming it and what is allowed.
 */
export const parseRequire = (
  text: string,
  attributes: number,
  names?: ReadonlyArray<string>
): Effect.Effect<AttributeSearch.AttributeQuery, ReturnType<typeof userError>> =>
  Effect.forEach(
    text
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p.length > 0),
    (pair) => {
      const m = /^([^=]+)=([01])$/.exec(pair)
      if (m === null) return Effect.fail(userError(`--require ${pair}: expected attribute=1 or attribute=0`))
      const key = m[1]!.trim()
      const byName = names?.indexOf(key) ?? -1
      const a = byName >= 0 ? byName : /^\d+$/.test(key) ? Number(key) : -1
      if (a < 0 || a >= attributes)
        return Effect.fail(
          userError(
            `--require ${pair}: no attribute ${key} (allowed: 0..${attributes - 1}${names === undefined ? "" : ` or ${names.join(", ")}`})`
          )
        )
      return Effect.succeed([a, m[2] === "1" ? 1 : 0] as const)
    }
  )

/** The gallery entries `keep` marks, in order (features, names, images and labels alike). */
const keptSide = (side: Side, keep: Uint8Array): Side => {
  const rows = [...keep.keys()].filter((j) => keep[j] === 1)
  const dim = side.features.dim
  const data = new Float32Array(rows.length * dim)
  rows.forEach((j, r) => {
    data.set(side.features.data.subarray(j * dim, (j + 1) * dim), r * dim)
  })
  return {
    features: { data, rows: rows.length, dim },
    names: rows.map((j) => side.names[j]!),
    images: rows.map((j) => side.images[j]!),
    ...(side.ids === undefined ? {} : { ids: rows.map((j) => side.ids![j]!) }),
    ...(side.cams === undefined ? {} : { cams: rows.map((j) => side.cams![j]!) })
  }
}

type Flags = {
  readonly [K in keyof typeof searchFlags]: (typeof searchFlags)[K] extends Flag.Flag<infer A> ? A : never
}

const itemsOf = (entries: ReadonlyArray<ListEntry>): ReadonlyArray<Item.Item> =>
  entries.map((e) => ({ source: { _tag: "File", path: e.path }, id: -1, cam: 0 }))

const labelsOf = (flags: Flags, side: "query" | "gallery", rows: number) =>
  Effect.gen(function* () {
    const ids = side === "query" ? flags.queryIds : flags.galleryIds
    const cams = side === "query" ? flags.queryCams : flags.galleryCams
    if (Option.isNone(ids) && Option.isNone(cams)) return undefined
    if (Option.isNone(ids) || Option.isNone(cams))
      return yield* Effect.fail(userError(`give both --${side}-ids and --${side}-cams`))
    const i = yield* single(ids.value, `--${side}-ids`)
    const c = yield* single(cams.value, `--${side}-cams`)
    if (i.length !== rows || c.length !== rows)
      return yield* Effect.fail(
        userError(`--${side}-ids / --${side}-cams: ${i.length} / ${c.length} labels for ${rows} ${side} rows`)
      )
    return { ids: i, cams: c }
  })

const searchHandler = (flags: Flags) =>
  Effect.gen(function* () {
    const out = path.resolve(flags.output)
    const info = yield* Backend.Backend
    const job = Effect.gen(function* () {
      let model: { readonly saved: SavedModel.SavedModel; readonly height: number; readonly width: number } | undefined
      const embed = (entries: ReadonlyArray<ListEntry>, what: string) =>
        Effect.gen(function* () {
          if (model === undefined) {
            if (Option.isNone(flags.model))
              return yield* Effect.fail(
                userError(`${what} are images: give --model to embed them (or give features with --${what}-features)`)
              )
            model = yield* loadModel({ ...flags, model: flags.model.value })
            const head = model.saved.model.config.head
            if (flags.embedding === "parts" && head.parts === undefined && head.local === undefined) {
              return yield* Effect.fail(
                userError("--embedding parts needs a model with PCB parts (head.parts) or a local branch (head.local)")
              )
            }
          }
          const m = model
          const e = yield* Evaluate.embedItems(m.saved.model, itemsOf(entries), {
            height: m.height,
            width: m.width,
            batchSize: flags.batchSize,
            flip: flags.flip,
            normalize: flags.normalize,
            embedding: flags.embedding
          }).pipe(Effect.mapError((err) => userError(err.message)))
          return { data: e.data, rows: e.rows, dim: e.dim } satisfies FeatureMatrix
        })
      const features = (file: string) =>
        Effect.flatMap(read(file), (bytes) => fromFailure(() => parseFeatureFile(bytes, file)))
      const side = (
        what: "query" | "gallery",
        images: Option.Option<string>,
        feats: Option.Option<string>,
        paths: Option.Option<string>
      ) =>
        Effect.gen(function* () {
          if (Option.isSome(images) === Option.isSome(feats)) {
            return yield* Effect.fail(
              userError(
                `give the ${what} as images (--${what}-images list.txt) or as features (--${what}-features f.npy with --${what}-paths)`
              )
            )
          }
          if (Option.isSome(images)) {
            const entries = yield* readList(images.value, `--${what}-images`)
            return group(
              yield* embed(entries, what),
              entries,
              flags.pooling,
              yield* labelsOf(flags, what, entries.length)
            )
          }
          if (Option.isNone(paths))
            return yield* Effect.fail(
              userError(`--${what}-features needs --${what}-paths (the image of each row, to draw it)`)
            )
          const f = yield* features(Option.getOrThrow(feats))
          const entries = yield* readList(paths.value, `--${what}-paths`)
          if (entries.length !== f.rows)
            return yield* Effect.fail(
              userError(`--${what}-paths ${paths.value}: ${entries.length} paths for ${f.rows} feature rows`)
            )
          return group(f, entries, flags.pooling, yield* labelsOf(flags, what, entries.length))
        })
      const query = yield* side("query", flags.queryImages, flags.queryFeatures, flags.queryPaths)
      const datasetGiven = Option.isSome(flags.layout) || Option.isSome(flags.root) || Option.isSome(flags.manifest)
      const unfiltered: Side = datasetGiven
        ? yield* Effect.gen(function* () {
            if (Option.isSome(flags.galleryImages) || Option.isSome(flags.galleryFeatures)) {
              return yield* Effect.fail(
                userError(
                  "give one gallery: --gallery-images, --gallery-features, or a dataset (--layout --root / --manifest)"
                )
              )
            }
            const source = yield* DatasetSource.fromFlags({ ...flags, images: Option.none() })
            if (source._tag !== "Dataset" || source.dataset.gallery.length === 0)
              return yield* Effect.fail(userError("the dataset has no gallery split to search"))
            const items = source.dataset.gallery
            const entries = items.map((i) => ({ path: DatasetSource.pathOf(i) }))
            const f = yield* embed(entries, "gallery")
            return group(f, entries, flags.pooling, { ids: items.map((i) => i.id), cams: items.map((i) => i.cam) })
          })
        : yield* side("gallery", flags.galleryImages, flags.galleryFeatures, flags.galleryPaths)
      const gallery = yield* Effect.gen(function* () {
        if (Option.isNone(flags.galleryAttributes) && Option.isNone(flags.require)) return unfiltered
        if (Option.isNone(flags.galleryAttributes) || Option.isNone(flags.require))
          return yield* Effect.fail(userError("give both --gallery-attributes and --require"))
        const scores = yield* features(flags.galleryAttributes.value)
        if (scores.rows !== unfiltered.names.length)
          return yield* Effect.fail(
            userError(
              `--gallery-attributes ${flags.galleryAttributes.value}: ${scores.rows} rows for ${unfiltered.names.length} gallery entries`
            )
          )
        const names = Option.isNone(flags.attributeNames)
          ? undefined
          : (yield* BoundedRead.readText(flags.attributeNames.value).pipe(
              Effect.mapError((e) =>
                userError(`--attribute-names ${flags.attributeNames.pipe(Option.getOrThrow)}: ${e.reason}`)
              )
            ))
              .split(/\r?\n/)
              .map((l) => l.trim())
              .filter((l) => l.length > 0)
        if (names !== undefined && names.length !== scores.dim)
          return yield* Effect.fail(
            userError(`--attribute-names: ${names.length} names for ${scores.dim} attribute columns`)
          )
        const query = yield* parseRequire(flags.require.value, scores.dim, names)
        const keep = yield* fromFailure(() =>
          AttributeSearch.satisfying(scores.data, scores.dim, query, flags.attributeThreshold)
        )
        const kept = keptSide(unfiltered, keep)
        if (kept.names.length === 0)
          return yield* Effect.fail(userError(`--require ${flags.require.value}: no gallery entry satisfies it`))
        yield* Console.log(
          `attribute filter ${flags.require.value}: ${kept.names.length} of ${unfiltered.names.length} gallery entries kept`
        )
        return kept
      })
      if (query.features.dim !== gallery.features.dim) {
        return yield* Effect.fail(
          userError(
            `query features are ${query.features.dim}-d, gallery features ${gallery.features.dim}-d: use the same model for both`
          )
        )
      }
      const distances = yield* fromFailure(() =>
        pairwiseDistances(query.features, gallery.features, { metric: flags.metric })
      )
      const labelled = query.ids !== undefined && gallery.ids !== undefined
      const G = gallery.names.length
      const rankingOptions = labelled ? {} : { labelled: false }
      const results = query.names.map((name, q) => ({
        query: name,
        images: query.images[q]!,
        ...(labelled ? { id: query.ids![q], cam: query.cams![q] } : {}),
        top: RankedList.topRanked(
          Array.prototype.slice.call(distances, q * G, (q + 1) * G) as Array<number>,
          query.ids?.[q] ?? -1,
          query.cams?.[q] ?? -1,
          {
            ids: gallery.ids ?? new Array<number>(G).fill(-1),
            cams: gallery.cams ?? new Array<number>(G).fill(-1)
          },
          { ...rankingOptions, topK: flags.top }
        ).map((t, r) => ({
          rank: r + 1,
          gallery: gallery.names[t.index]!,
          image: gallery.images[t.index]![0]!,
          distance: t.distance,
          ...(labelled ? { id: gallery.ids![t.index], cam: gallery.cams![t.index], verdict: t.verdict } : {})
        }))
      }))
      yield* Effect.tryPromise({
        try: () => fs.mkdir(out, { recursive: true }),
        catch: (e) => userError(`--output ${out}: cannot create (${String(e)})`)
      })
      yield* AtomicFile.writeFile(
        path.join(out, "search.json"),
        `${JSON.stringify({ metric: flags.metric, queries: query.names.length, gallery: G, results }, null, 2)}\n`
      ).pipe(Effect.mapError((e) => userError(e.message)))
      const pic = yield* Visrank.write(
        distances,
        {
          paths: query.images.map((i) => i[0]!),
          ids: query.ids ?? new Array<number>(query.names.length).fill(-1),
          cams: query.cams ?? new Array<number>(query.names.length).fill(-1)
        },
        {
          paths: gallery.images.map((i) => i[0]!),
          ids: gallery.ids ?? new Array<number>(G).fill(-1),
          cams: gallery.cams ?? new Array<number>(G).fill(-1)
        },
        out,
        {
          ...rankingOptions,
          topK: flags.top,
          queries: flags.maxQueries,
          title: `reidfx search: top-${flags.top} of ${G} gallery entries (${flags.metric})`
        }
      )
      yield* Console.log(
        `searched ${query.names.length} queries in ${G} gallery entries (${query.features.dim}-d, ${flags.metric}, backend ${info.name})`
      )
      yield* Console.log(`results in ${path.join(out, "search.json")}; ranked lists in ${pic.html}, ${pic.png}`)
      return undefined
    })
    yield* Effect.scoped(job)
  }).pipe(
    Effect.provide(BackendFlag.layer),
    Effect.mapError((e) => (e._tag === "UserError" ? e : userError(e.message)))
  )

/** `reidfx search`. */
export const searchCommand = Command.make("search", searchFlags, searchHandler).pipe(
  Command.withDescription(
    "Search query images or tracklets in a gallery (images, features from any model, or a dataset's gallery): search.json and the ranked lists (ranked.html, ranked.png)"
  )
)
