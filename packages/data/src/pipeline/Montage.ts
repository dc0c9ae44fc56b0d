/**
 * The ranked-list picture of torchreid's `visualize_ranked_results` (KaiyangZhou/deep-person-reid,
 * `torchreid/utils/reidtools.py`) as a plain function over RGB buffers: one row per query, the query first
 * (framed black there), then `QUERY_EXTRA_SPACING = 90` pixels, then the ranked gallery images `GRID_SPACING = 10`
 * pixels apart, each framed by a `BW = 5` pixel border whose colour says match (green) or non-match (red); reidfx
 * adds grey for junk (same identity and camera as the query: torchreid skips those). Rows are stacked
 * `GRID_SPACING` apart on a white background, so a whole evaluation is one picture.
 *
 * torchreid adds the border then resizes to `width x height`; here every tile is first resized to the tile size and
 * the border painted over its outer `border` pixels (the same picture up to the resampling of the border).
 * @since 0.1.0
 */
import { type RgbImage, resize } from "../Image.ts"

/** An RGB colour. */
export type Rgb = readonly [number, number, number]

/** torchreid's frame colours (and reidfx's junk grey). */
export const frameColours = {
  query: [0, 0, 0],
  match: [0, 255, 0],
  nonMatch: [255, 0, 0],
  junk: [160, 160, 160],
  /** A search in unlabelled images: no verdict. */
  unknown: [85, 85, 85]
} as const satisfies Record<string, Rgb>

/** One framed tile. */
export interface Tile {
  readonly image: RgbImage
  readonly frame: Rgb
}

/** Options of {@link rankedRows}: torchreid's constants by default. */
export interface MontageOptions {
  /** Tile size (default torchreid's 256 x 128). */
  readonly height?: number
  readonly width?: number
  /** Frame width (torchreid `BW`, default 5). */
  readonly border?: number
  /** Space between tiles and between rows (torchreid `GRID_SPACING`, default 10). */
  readonly spacing?: number
  /** Extra space after the query (torchreid `QUERY_EXTRA_SPACING`, default 90). */
  readonly queryGap?: number
}

/** A tile resized to `height x width` with a `border`-pixel frame painted over its edge. */
export const framed = (tile: Tile, height: number, width: number, border: number): RgbImage => {
  const src = resize(tile.image, height, width)
  const data = Uint8Array.from(src.data)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y >= border && y < height - border && x >= border && x < width - border) continue
      const o = (y * width + x) * 3
      data[o] = tile.frame[0]
      data[o + 1] = tile.frame[1]
      data[o + 2] = tile.frame[2]
    }
  }
  return { height, width, data }
}

/**
 * Rows of tiles (each row: the query, then its ranked gallery) as one white picture: row `r`'s tile `c` sits at
 * `y = r (height + spacing)`, `x = c (width + spacing) + (c > 0 ? queryGap : 0)` (torchreid's
 * `start = rank_idx * width + rank_idx * GRID_SPACING + QUERY_EXTRA_SPACING`).
 * @category pictures
 */
export const rankedRows = (rows: ReadonlyArray<ReadonlyArray<Tile>>, options: MontageOptions = {}): RgbImage => {
  const height = options.height ?? 256
  const width = options.width ?? 128
  const border = options.border ?? 5
  const spacing = options.spacing ?? 10
  const gap = options.queryGap ?? 90
  const columns = Math.max(1, ...rows.map((r) => r.length))
  const W = columns * width + (columns - 1) * spacing + (columns > 1 ? gap : 0)
  const H = Math.max(1, rows.length * height + (rows.length - 1) * spacing)
  const data = new Uint8Array(H * W * 3).fill(255)
  rows.forEach((row, r) => {
    row.forEach((tile, c) => {
      const img = framed(tile, height, width, border)
      const x0 = c * (width + spacing) + (c > 0 ? gap : 0)
      const y0 = r * (height + spacing)
      for (let y = 0; y < height; y++)
        data.set(img.data.subarray(y * width * 3, (y + 1) * width * 3), ((y0 + y) * W + x0) * 3)
    })
  })
  return { height: H, width: W, data }
}
