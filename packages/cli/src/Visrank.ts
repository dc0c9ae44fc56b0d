/**
 * The ranked-list picture of `reidfx test`, `reidfx eval --visrank` and `reidfx search`: for chosen queries, the
 * query crop and its top-k gallery crops framed green (match), red (non-match) or grey (junk), written as a
 * self-contained HTML page (`@reidfx/eval` `rankedListHtml`, the real image files embedded as `data:` URIs, with
 * identities, cameras and distances) and as a PNG (`@reidfx/data` `Montage.rankedRows`, torchreid's
 * `visualize_ranked_results` grid).
 * @since 0.1.0
 */
import * as path from "node:path"
import { Decode, Montage } from "@reidfx/data"
import { dataUri, RankedList, type RankingOptionsInput, rankedListHtml } from "@reidfx/eval"
import { AtomicFile, BoundedRead } from "@reidfx/tensor"
import { Effect } from "effect"
import { CliError } from "effect/cli"

/** One side: image paths with identities and cameras. */
export interface Side {
  readonly paths: ReadonlyArray<string>
  readonly ids: ArrayLike<number>
  readonly cams: ArrayLike<number>
}

/** What to draw. */
export interface VisrankOptions extends RankingOptionsInput {
  /** Gallery items per query (default 10). */
  readonly topK?: number
  /** Queries shown: this many, evenly spaced over the query set (default 12), or the given indices. */
  readonly queries?: number | ReadonlyArray<number>
  /** Tile size of the PNG (default 128 x 64). */
  readonly height?: number
  readonly width?: number
  readonly title?: string
  /** Whether identities are known (default true); false frames every gallery item neutrally (a search). */
  readonly labelled?: boolean
}

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

const mimeOf = (file: string): string => {
  const ext = path.extname(file).toLowerCase()
  return ext === ".png"
    ? "image/png"
    : ext === ".webp"
      ? "image/webp"
      : ext === ".bmp"
        ? "image/bmp"
        : ext === ".gif"
          ? "image/gif"
          : "image/jpeg"
}

/** `n` query indices evenly spaced over `0..count-1` (all of them when `n >= count`). */
export const spacedQueries = (count: number, n: number): ReadonlyArray<number> =>
  n >= count
    ? Array.from({ length: count }, (_, i) => i)
    : Array.from({ length: n }, (_, i) => Math.floor((i * count) / n))

/**
 * Writes `<out>/ranked.html` and `<out>/ranked.png` from a `[queries x gallery]` distance matrix. Returns the two
 * paths and the shown rows (query index, gallery indices and verdicts).
 */
export const write = (
  distances: ArrayLike<number>,
  query: Side,
  gallery: Side,
  out: string,
  options: VisrankOptions = {}
) =>
  Effect.gen(function* () {
    const Q = query.paths.length
    const G = gallery.paths.length
    if (distances.length !== Q * G)
      return yield* Effect.fail(
        userError(`ranked lists: ${distances.length} distances for ${Q} queries x ${G} gallery items`)
      )
    const { topK: _k, queries: _q, height: _h, width: _w, title, ...ranking } = options
    const topK = options.topK ?? 10
    const shown =
      typeof options.queries === "number" || options.queries === undefined
        ? spacedQueries(Q, options.queries ?? 12)
        : options.queries
    const rows = shown.map((q) => ({
      query: q,
      top: RankedList.topRanked(
        Array.prototype.slice.call(distances, q * G, (q + 1) * G) as Array<number>,
        query.ids[q]!,
        query.cams[q]!,
        gallery,
        { ...ranking, topK }
      )
    }))
    // the page embeds only the crops it shows
    const uris = new Map<string, string>()
    const uri = (file: string) =>
      uris.has(file)
        ? Effect.succeed(uris.get(file)!)
        : BoundedRead.readBytes(file).pipe(
            Effect.map((bytes) => {
              const u = dataUri(bytes, mimeOf(file))
              uris.set(file, u)
              return u
            }),
            Effect.mapError((e) => userError(`ranked lists: cannot read the image ${file}: ${e.message}`))
          )
    const qImages = Array.from({ length: Q }, () => "")
    const gImages = Array.from({ length: G }, () => "")
    for (const r of rows) {
      qImages[r.query] = yield* uri(query.paths[r.query]!)
      for (const t of r.top) gImages[t.index] = yield* uri(gallery.paths[t.index]!)
    }
    const html = yield* Effect.try({
      try: () =>
        rankedListHtml(
          distances,
          { images: qImages, ids: query.ids, cams: query.cams },
          { images: gImages, ids: gallery.ids, cams: gallery.cams },
          { ...ranking, topK, queries: shown, ...(title === undefined ? {} : { title }) }
        ),
      catch: (e) => userError(`ranked lists: ${e instanceof Error ? e.message : String(e)}`)
    })
    const height = options.height ?? 128
    const width = options.width ?? 64
    const decode = (file: string) =>
      Decode.decode(file, height, width).pipe(
        Effect.mapError((e) => userError(`ranked lists: cannot decode ${file}: ${e.message}`))
      )
    const tiles: Array<Array<Montage.Tile>> = []
    for (const r of rows) {
      const row: Array<Montage.Tile> = [
        { image: yield* decode(query.paths[r.query]!), frame: Montage.frameColours.query }
      ]
      for (const t of r.top)
        row.push({ image: yield* decode(gallery.paths[t.index]!), frame: Montage.frameColours[t.verdict] })
      tiles.push(row)
    }
    // torchreid's spacing scaled to the tile width (its constants are for 128-pixel-wide tiles)
    const scale = width / 128
    const picture = Montage.rankedRows(tiles, {
      height,
      width,
      border: Math.max(2, Math.round(5 * scale)),
      spacing: Math.max(4, Math.round(10 * scale)),
      queryGap: Math.max(12, Math.round(90 * scale))
    })
    const htmlFile = path.join(out, "ranked.html")
    const pngFile = path.join(out, "ranked.png")
    yield* AtomicFile.writeFile(htmlFile, html).pipe(Effect.mapError((e) => userError(e.message)))
    yield* Decode.encode(picture, pngFile).pipe(
      Effect.mapError((e) => userError(`cannot write ${pngFile}: ${e.message}`))
    )
    return { html: htmlFile, png: pngFile, rows }
  })
