/**
 * Ranked lists to look at: a self-contained HTML page showing, for each query, its image and the top-k gallery
 * images in ranked order, framed green (match), red (non-match) or grey (junk, not counted by the metrics).
 * Images are given as URLs: relative paths next to the page, or `data:` URIs ({@link dataUri}) to embed them.
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import { InvalidOption } from "@reidfx/tensor"
import { LengthMismatch } from "./errors.ts"
import { toInt32 } from "./Features.ts"
import { type RankingOptionsInput, rankingOptions } from "./Ranking.ts"

/** A `data:` URI embedding image bytes (PNG, JPEG, ...). @category ranked lists */
export const dataUri = (bytes: Uint8Array, mime = "image/png"): string =>
  `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`

/** One side of the page: images (URLs) with identities and cameras. */
export interface ImageSet {
  readonly images: ReadonlyArray<string>
  readonly ids: ArrayLike<number>
  readonly cams: ArrayLike<number>
}

/** How a ranked gallery item is framed. */
export type Verdict = "match" | "nonMatch" | "junk" | "unknown"

/** Options of {@link rankedListHtml}. */
export interface RankedListOptions extends RankingOptionsInput {
  /** Gallery items shown per query. Default 10. */
  readonly topK?: number
  /** Queries to show (indices). Default: all. */
  readonly queries?: ReadonlyArray<number>
  /** Show junk items (grey) in the list. Default true; when false they are skipped, as the metrics do. */
  readonly showJunk?: boolean
  /** Page title. */
  readonly title?: string
  /** Image height in pixels. Default 128. */
  readonly height?: number
  /**
   * Whether identities are known. Default true; when false (a search in unlabelled images) every item's verdict
   * is `unknown` (a neutral frame), nothing is junk, and captions show no identity.
   */
  readonly labelled?: boolean
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * The top-k of one query with verdicts, by increasing distance, ties toward the lower gallery index.
 * @category ranked lists
 */
export const topRanked = (
  row: ArrayLike<number>,
  queryId: number,
  queryCam: number,
  gallery: { readonly ids: ArrayLike<number>; readonly cams: ArrayLike<number> },
  options: RankedListOptions = {}
): Array<{ readonly index: number; readonly distance: number; readonly verdict: Verdict }> => {
  const o = rankingOptions(omitPage(options))
  const junk = new Set(o.junkIdentities)
  const distractor = new Set(o.distractorIdentities)
  const k = options.topK ?? 10
  const order = Array.from({ length: row.length }, (_, j) => j).sort((a, b) => row[a]! - row[b]! || a - b)
  const out: Array<{ index: number; distance: number; verdict: Verdict }> = []
  for (const j of order) {
    if (out.length >= k) break
    if (options.labelled === false) {
      out.push({ index: j, distance: row[j]!, verdict: "unknown" })
      continue
    }
    const gid = gallery.ids[j]!
    const isJunk =
      junk.has(gid) || (o.sameCameraJunk && gid === queryId && gallery.cams[j] === queryCam && !distractor.has(gid))
    if (isJunk && options.showJunk === false) continue
    const verdict: Verdict = isJunk ? "junk" : gid === queryId && !distractor.has(gid) ? "match" : "nonMatch"
    out.push({ index: j, distance: row[j]!, verdict })
  }
  return out
}

const omitPage = (o: RankedListOptions): RankingOptionsInput => {
  const { topK: _a, queries: _b, showJunk: _c, title: _d, height: _e, labelled: _f, ...rest } = o
  return rest
}

const colours: Record<Verdict, string> = { match: "#1a9c3a", nonMatch: "#d0312d", junk: "#9a9a9a", unknown: "#555555" }

/**
 * A self-contained HTML page of ranked lists from a `[queries x gallery]` row-major distance matrix.
 * @category ranked lists
 */
export const rankedListHtml = (
  distances: ArrayLike<number>,
  query: ImageSet,
  gallery: ImageSet,
  options: RankedListOptions = {}
): string => {
  const Q = query.images.length
  const G = gallery.images.length
  for (const [what, expected, actual] of [
    ["query identities", Q, query.ids.length],
    ["query cameras", Q, query.cams.length],
    ["gallery identities", G, gallery.ids.length],
    ["gallery cameras", G, gallery.cams.length],
    ["distance matrix (queries x gallery)", Q * G, distances.length]
  ] as const) {
    if (expected !== actual) throw new LengthMismatch({ what, expected, actual })
  }
  const qIds = toInt32(query.ids, "query identities")
  const qCams = toInt32(query.cams, "query cameras")
  const topK = options.topK ?? 10
  if (!Number.isInteger(topK) || topK < 1)
    throw new InvalidOption({ what: "topK", detail: `${topK} is not a positive integer` })
  const height = options.height ?? 128
  const labelled = options.labelled !== false
  const queries = options.queries ?? Array.from({ length: Q }, (_, i) => i)
  const rows = queries.map((i) => {
    if (!Number.isInteger(i) || i < 0 || i >= Q)
      throw new InvalidOption({ what: "queries", detail: `query ${i} is outside 0..${Q - 1}` })
    const row = Array.prototype.slice.call(distances, i * G, (i + 1) * G) as Array<number>
    const top = topRanked(row, qIds[i]!, qCams[i]!, gallery, options)
    const cells = top
      .map(
        (t, r) =>
          `<figure class="${t.verdict}"><img src="${escapeHtml(gallery.images[t.index]!)}" style="height:${height}px"><figcaption>#${r + 1}${labelled ? ` id ${gallery.ids[t.index]} cam ${gallery.cams[t.index]}` : ""}<br>${t.distance.toFixed(3)}</figcaption></figure>`
      )
      .join("")
    return `<div class="row"><figure class="query"><img src="${escapeHtml(query.images[i]!)}" style="height:${height}px"><figcaption>query ${i}${labelled ? `<br>id ${qIds[i]} cam ${qCams[i]}` : ""}</figcaption></figure>${cells}</div>`
  })
  const title = escapeHtml(options.title ?? "reidfx ranked lists")
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title><style>
body{font-family:sans-serif;margin:16px}
.row{display:flex;gap:6px;align-items:flex-start;margin-bottom:12px}
figure{margin:0;padding:3px;border:4px solid transparent;text-align:center;font-size:11px}
figure.query{border-color:#2a62c9;margin-right:12px}
figure.match{border-color:${colours.match}}
figure.nonMatch{border-color:${colours.nonMatch}}
figure.junk{border-color:${colours.junk};opacity:.7}
figure.unknown{border-color:${colours.unknown}}
img{display:block}
</style></head><body>
<h1>${title}</h1>
<p>${
    labelled
      ? `Top-${topK} gallery items per query: <b style="color:${colours.match}">match</b>, <b style="color:${colours.nonMatch}">non-match</b>, <b style="color:${colours.junk}">junk</b> (not counted).`
      : `Top-${topK} gallery items per query, by increasing distance (identities unknown).`
  }</p>
${rows.join("\n")}
</body></html>
`
}
