/**
 * A cache of decoded (and resized) images within a memory budget: least recently used entries are evicted
 * first, by bytes. Decoding a JPEG costs far more than reading it back from memory, so a cache as large as the
 * training set turns every epoch after the first into pure augmentation work.
 * @since 0.1.0
 */
import type { RgbImage } from "../Image.ts"

/** A memory-bounded cache of decoded images, keyed by file path. */
export interface ImageCache {
  readonly budgetBytes: number
  /** The cached image of `key`, or undefined (counted as a miss). */
  readonly get: (key: string) => RgbImage | undefined
  /** Caches an image, evicting the least recently used ones beyond the budget. */
  readonly set: (key: string, image: RgbImage) => void
  /** Counters of the cache since it was made. */
  readonly stats: () => {
    readonly entries: number
    readonly bytes: number
    readonly hits: number
    readonly misses: number
    readonly evictions: number
  }
}

/** An LRU cache holding at most `budgetBytes` bytes of pixels (an image larger than the budget is not cached). */
export const make = (budgetBytes: number): ImageCache => {
  const map = new Map<string, RgbImage>()
  let bytes = 0
  let hits = 0
  let misses = 0
  let evictions = 0
  return {
    budgetBytes,
    get: (key) => {
      const v = map.get(key)
      if (v === undefined) {
        misses++
        return undefined
      }
      hits++
      map.delete(key)
      map.set(key, v)
      return v
    },
    set: (key, image) => {
      const size = image.data.byteLength
      if (size > budgetBytes) return
      const old = map.get(key)
      if (old !== undefined) {
        bytes -= old.data.byteLength
        map.delete(key)
      }
      while (bytes + size > budgetBytes) {
        const [k, v] = map.entries().next().value as [string, RgbImage]
        map.delete(k)
        bytes -= v.data.byteLength
        evictions++
      }
      map.set(key, image)
      bytes += size
    },
    stats: () => ({ entries: map.size, bytes, hits, misses, evictions })
  }
}
