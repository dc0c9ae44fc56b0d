/**
 * Video datasets on disk (read for `@reidfx/reid`'s MDKT application): the tracklets of MARS, DukeMTMC-VideoReID
 * and VeRi-776 (read by `@reidfx/data`'s readers), their frames decoded and resized once by the data package's image pipeline (sharp,
 * bilinear, `fit: fill`: torchreid's `Resize((h, w))`) into its byte-budgeted `ImageCache`, and a
 * {@link FrameLoader} that serves them (ImageNet normalisation and flip on the fly) to the same clip sampling,
 * training and evaluation code as the synthetic world.
 *
 * | layout | reader | tracklets | evaluation labels |
 * |---|---|---|---|
 * | `mars` | `Readers.mars(root, { minFrames })` | the rows of `tracks_{train,test}_info` | junk -1 (skipped by the reader), distractors 0 (gallery) |
 * | `dukeMTMCVideoReID` | `Readers.dukeMTMCVideoReID(root)` | `<split>/<identity>/<tracklet>/` | none |
 * | `veri776` | `Readers.veri776(root)` then `Dataset.groupTracklets` | the images of one vehicle in one camera (per split), ordered by name | none (scored as top-1 / top-5 / mAP) |
 *
 * Memory: the training and evaluation loops are synchronous, so every frame they can ask for is decoded before
 * the run starts and must fit the budget (`cacheMegabytes`, 8-bit RGB at the protocol's size: `H*W*3` bytes a
 * frame). When the frames of all tracklets do not fit, each tracklet keeps at most `c` evenly spaced frames with
 * the largest `c` that fits (a `framesPerTracklet` cap can also be set by hand); the cap is logged and stored in
 * the world's name so a result always says on which frames it was obtained.
 * @since 0.1.0
 */
import { DataFolder, Decode, ImageCache, type RgbImage } from "@reidfx/data"
import { Effect, Option } from "effect"
import type { FrameLoader, Item, Tracklet } from "./ClipData.ts"
import { trackletsOf } from "./ClipData.ts"
import { VideoDataInvalid } from "./errors.ts"
import * as VideoLayoutCatalog from "./VideoLayoutCatalog.ts"
import type { VideoLayoutDataset, VideoSplits } from "./VideoWorld.ts"

/** The default frame budget: 1 GiB of decoded frames. @category models @since 0.1.0 */
export const defaultCacheMegabytes = 1024

/**
 * The tracklets of a dataset on disk, by split, with its evaluation labels: the {@link VideoSplits} of a world
 * before its frames are loaded, plus what the reader skipped.
 * @category models
 * @since 0.1.0
 */
export interface DatasetTracklets extends Omit<VideoSplits, "loader"> {
  /** Files the reader skipped (names that do not parse, junk tracklets, ...). */
  readonly skipped: number
}

const what = (w: VideoLayoutDataset) => `data.world (${w.layout} at ${w.root})`

/**
 * Reads the tracklets of a dataset on disk (see the module table). A missing folder or a malformed info file is
 * an {@link VideoDataInvalid} whose detail is the reader's message (it shows the expected layout).
 * @category constructors
 * @since 0.1.0
 */
export const readTracklets = (written: VideoLayoutDataset): Effect.Effect<DatasetTracklets, VideoDataInvalid> =>
  Effect.gen(function* () {
    // `$REIDFX_DATA` in the root is the folder of the datasets (`@reidfx/data`'s DataFolder)
    const data = Option.getOrUndefined(
      yield* DataFolder.DataConfig.pipe(Effect.orElseSucceed(() => Option.none<string>()))
    )
    const root = DataFolder.expand(written.root, data)
    if (root === undefined) {
      return yield* new VideoDataInvalid({
        what: what(written),
        detail: DataFolder.notSetMessage
      })
    }
    const world = { ...written, root }
    const entry = VideoLayoutCatalog.builtin.require(world.layout)
    const read = entry.read(world.root, world.minFrames === undefined ? {} : { minFrames: world.minFrames })
    const dataset = yield* read.pipe(
      Effect.mapError((e) => new VideoDataInvalid({ what: what(world), detail: e.message }))
    )
    const skipped = Object.values(dataset.report?.skipped ?? {}).reduce((a, n) => a + n, 0)
    const splits = {
      train: trackletsOf(dataset.train),
      query: trackletsOf(dataset.query),
      gallery: trackletsOf(dataset.gallery)
    }
    for (const split of ["train", "query", "gallery"] as const) {
      if (splits[split].length === 0) {
        return yield* new VideoDataInvalid({
          what: what(world),
          detail: `the ${split} split has no tracklet; check the folder against the expected layout`
        })
      }
    }
    return {
      name: dataset.name,
      objects: entry.objects,
      ...splits,
      junkIdentities: entry.junkIdentities,
      distractorIdentities: entry.distractorIdentities,
      // MARS is evaluated with its official protocol (query tracklets in the gallery, as TKP; see VideoEvaluation)
      ...(entry.galleryIncludesQueries ? { galleryIncludesQueries: true } : {}),
      skipped
    }
  })

/**
 * The largest number of frames per tracklet `c` such that `sum_i min(n_i, c) * frameBytes <= budgetBytes`
 * (`Infinity` when every frame fits, 0 when not even one frame per tracklet does).
 * @category memory
 * @since 0.1.0
 */
export const framesPerTrackletWithin = (
  lengths: ReadonlyArray<number>,
  frameBytes: number,
  budgetBytes: number
): number => {
  const total = lengths.reduce((a, n) => a + n, 0)
  if (total * frameBytes <= budgetBytes) return Number.POSITIVE_INFINITY
  const fits = (c: number) => lengths.reduce((a, n) => a + Math.min(n, c), 0) * frameBytes <= budgetBytes
  let lo = 0
  let hi = Math.max(...lengths)
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (fits(mid)) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Keeps at most `cap` evenly spaced frames of a tracklet (frame `floor((k + 1/2) n / cap)` for `k < cap`), in
 * temporal order; a tracklet of at most `cap` frames is kept whole.
 * @category memory
 * @since 0.1.0
 */
export const capTracklet = (t: Tracklet, cap: number): Tracklet => {
  const n = t.frames.length
  if (n <= cap) return t
  return { ...t, frames: Array.from({ length: cap }, (_, k) => t.frames[Math.floor(((k + 0.5) * n) / cap)]!) }
}

/**
 * A capped tracklet whose first frame is the original's first frame (the I2V query image of TKP's protocol, see
 * `VideoEvaluation`): the first kept frame is replaced by frame 0, so the count (and the memory) is unchanged.
 * @category memory
 * @since 0.1.0
 */
export const keepFirstFrame = (original: Tracklet, capped: Tracklet): Tracklet =>
  capped.frames[0] === original.frames[0] || original.frames.length === 0
    ? capped
    : { ...capped, frames: [original.frames[0]!, ...capped.frames.slice(1)] }

const MEAN = [0.485, 0.456, 0.406] as const
const STD = [0.229, 0.224, 0.225] as const

const keyOf = (item: Item): string => (item.source._tag === "File" ? item.source.path : item.source.key)

/**
 * A frame loader over a cache of decoded 8-bit frames (normalised with the ImageNet mean / std and flipped per
 * clip when written, as `ClipData.makeFrameLoader`). A frame that is not in the cache is a `RangeError` naming
 * it: {@link preload} puts every frame of the run's tracklets there first.
 * @category constructors
 * @since 0.1.0
 */
export const cachedFrameLoader = (cache: ImageCache.ImageCache, height: number, width: number): FrameLoader => {
  const frameSize = height * width * 3
  return {
    height,
    width,
    cached: () => cache.stats().entries,
    write: (frames, flip, out, offset) => {
      frames.forEach((item, t) => {
        const key = keyOf(item)
        const image = cache.get(key)
        if (image === undefined) throw new RangeError(`frame ${key} was not preloaded (is the frame budget too small?)`)
        const px = image.data
        const base = offset + t * frameSize
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const src = (y * width + (flip ? width - 1 - x : x)) * 3
            const dst = base + (y * width + x) * 3
            out[dst] = (px[src]! / 255 - MEAN[0]) / STD[0]
            out[dst + 1] = (px[src + 1]! / 255 - MEAN[1]) / STD[1]
            out[dst + 2] = (px[src + 2]! / 255 - MEAN[2]) / STD[2]
          }
        }
      })
    }
  }
}

/** The result of {@link preload}: the (possibly capped) splits and their loader. @category models @since 0.1.0 */
export interface Preloaded {
  readonly train: ReadonlyArray<Tracklet>
  readonly query: ReadonlyArray<Tracklet>
  readonly gallery: ReadonlyArray<Tracklet>
  readonly loader: FrameLoader
  /** Frames kept per tracklet (`Infinity`: all). */
  readonly framesPerTracklet: number
  readonly frames: number
  readonly bytes: number
}

/**
 * Decodes every frame of the splits (after the cap that makes them fit `budgetBytes`, see the module doc) at
 * `height x width` with `@reidfx/data`'s `Decode.decode` (sharp), `concurrency` files at a time, into an
 * `ImageCache` of that budget, and returns the loader over it. A corrupt file is an {@link VideoDataInvalid}
 * naming it; a budget below one frame per tracklet is one saying how much is needed.
 * @category constructors
 * @since 0.1.0
 */
export const preload = (
  splits: Pick<DatasetTracklets, "train" | "query" | "gallery">,
  options: {
    readonly height: number
    readonly width: number
    readonly budgetBytes: number
    readonly framesPerTracklet?: number
    readonly concurrency?: number
    readonly what?: string
  }
): Effect.Effect<Preloaded, VideoDataInvalid> =>
  Effect.gen(function* () {
    const { height, width, budgetBytes } = options
    const frameBytes = height * width * 3
    const all = [...splits.train, ...splits.query, ...splits.gallery]
    const fitting = framesPerTrackletWithin(
      all.map((t) => t.frames.length),
      frameBytes,
      budgetBytes
    )
    const cap = Math.min(fitting, options.framesPerTracklet ?? Number.POSITIVE_INFINITY)
    if (cap < 1) {
      const needed = Math.ceil((all.length * frameBytes) / 2 ** 20)
      return yield* new VideoDataInvalid({
        what: options.what ?? "frames",
        detail: `${all.length} tracklets at ${height}x${width} need at least ${needed} MB for one frame each; raise data.world.cacheMegabytes (now ${Math.floor(budgetBytes / 2 ** 20)}) or lower data.height / data.width`
      })
    }
    const capped = (ts: ReadonlyArray<Tracklet>) => (Number.isFinite(cap) ? ts.map((t) => capTracklet(t, cap)) : ts)
    const train = capped(splits.train)
    // a query tracklet keeps its first frame (the I2V query image) in place of its first evenly spaced one
    const query = Number.isFinite(cap) ? splits.query.map((t) => keepFirstFrame(t, capTracklet(t, cap))) : splits.query
    const gallery = capped(splits.gallery)
    const cache = ImageCache.make(budgetBytes)
    const unique = new Map<string, Item>()
    for (const t of [...train, ...query, ...gallery]) for (const f of t.frames) unique.set(keyOf(f), f)
    yield* Effect.forEach(
      [...unique.entries()],
      ([key, item]) =>
        (item.source._tag === "File"
          ? Decode.decode(item.source.path, height, width).pipe(
              Effect.mapError((e) => new VideoDataInvalid({ what: options.what ?? "frames", detail: e.message }))
            )
          : Effect.succeed<RgbImage>(item.source.render(height, width))
        ).pipe(Effect.map((image) => cache.set(key, image))),
      { concurrency: options.concurrency ?? 2, discard: true }
    )
    const stats = cache.stats()
    if (stats.evictions > 0) {
      return yield* new VideoDataInvalid({
        what: options.what ?? "frames",
        detail: `the frame cache evicted ${stats.evictions} frames; raise data.world.cacheMegabytes`
      })
    }
    return {
      train,
      query,
      gallery,
      loader: cachedFrameLoader(cache, height, width),
      framesPerTracklet: cap,
      frames: stats.entries,
      bytes: stats.bytes
    }
  })
