import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { deflateSync } from "node:zlib"
import { Mat5 } from "../src/index.ts"

const valid = (compress: boolean) =>
  Mat5.write(
    [
      { name: "tracks", rows: Array.from({ length: 6 }, (_, r) => [r + 1, 2 * r, 7, -r]) },
      { name: "q", rows: [[1], [3]] }
    ],
    compress
  )

/** A MAT header followed by `body`. */
const withHeader = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(128 + body.length)
  out.set(valid(false).subarray(0, 128))
  out.set(body, 128)
  return out
}
const u32 = (...xs: ReadonlyArray<number>) => {
  const b = new Uint8Array(4 * xs.length)
  xs.forEach((x, i) => {
    new DataView(b.buffer).setUint32(4 * i, x >>> 0, true)
  })
  return b
}

const LIMIT = 1 << 20

/** Parses and checks the result is bounded by the input (or the error is the typed one). */
const parseBounded = (bytes: Uint8Array): "ok" | "refused" => {
  try {
    const vars = Mat5.parse(bytes, { maxInflatedBytes: LIMIT })
    const values = vars.reduce((n, v) => n + v.data.length, 0)
    // every value comes from at least one stored byte, of the file or of at most LIMIT inflated bytes
    expect(values).toBeLessThanOrEqual(bytes.length + LIMIT)
    for (const v of vars) expect(v.dims.reduce((a, d) => a * d, 1)).toBe(v.data.length)
    return "ok"
  } catch (e) {
    expect(e).toBeInstanceOf(Mat5.Mat5FormatError)
    return "refused"
  }
}

describe("Mat5 parser on hostile input", () => {
  it("a valid file round-trips (compressed and not)", () => {
    for (const c of [false, true]) {
      const [tracks, q] = Mat5.parse(valid(c))
      expect(tracks!.dims).toEqual([6, 4])
      expect(Mat5.row(tracks!, 2)).toEqual([3, 4, 7, -2])
      expect(q!.data).toEqual(new Float64Array([1, 3]))
    }
  })

  it("a declared size >= 2^31 (once a negative aligned length: an infinite loop) is refused", () => {
    // (0xfffffff8 + 7) & ~7 is -8 in 32-bit arithmetic: the old parser stepped 8 + -8 = 0 bytes forever
    const bytes = withHeader(new Uint8Array([...u32(99, 0xfffffff8), ...new Uint8Array(24)]))
    expect(bytes.length).toBe(160)
    expect(() => Mat5.parse(bytes)).toThrow("an element at byte 128 declares 4294967288 bytes but only 24 remain")
    const matrix = withHeader(new Uint8Array([...u32(14, 0x80000001), ...new Uint8Array(24)]))
    expect(() => Mat5.parse(matrix)).toThrow("an element at byte 128 declares 2147483649 bytes but only 24 remain")
  })

  it("a decompression bomb stops at the inflate limit", () => {
    const zeros = deflateSync(new Uint8Array(8 << 20)) // 8 MiB of zeros in ~8 KB
    const bytes = withHeader(new Uint8Array([...u32(15, zeros.length), ...zeros]))
    expect(bytes.length).toBeLessThan(20_000)
    expect(() => Mat5.parse(bytes, { maxInflatedBytes: LIMIT })).toThrow(
      `compressed data inflates past the limit of ${LIMIT} bytes`
    )
  })

  it("a matrix declaring 2e8 rows over 4 stored values is refused before allocating", () => {
    const file = valid(false)
    // the first matrix's dims element: tag (miINT32, 8) then rows, cols
    const view = new DataView(file.buffer, file.byteOffset)
    const at = 128 + 8 + 16 + 8
    expect(view.getInt32(at, true)).toBe(6)
    view.setInt32(at, 200_000_000, true)
    expect(() => Mat5.parse(file)).toThrow(
      'variable "tracks": dimensions [200000000, 4] declare 800000000 values but its data holds 24'
    )
  })

  it("mutated valid files (flipped bytes, 32-bit words, truncation) are parsed or refused, never hang or over-allocate", () => {
    const files = [valid(false), valid(true)]
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xffffffff }))),
        fc.option(fc.nat()),
        (which, flips, word, cut) => {
          const base = files[which]!
          let bytes = base.slice()
          for (const [i, v] of flips) bytes[128 + (i % (bytes.length - 128))] = v
          if (word !== null) {
            const at = 128 + 4 * (word[0] % Math.floor((bytes.length - 128) / 4))
            new DataView(bytes.buffer).setUint32(at, word[1], true)
          }
          if (cut !== null) bytes = bytes.subarray(0, 128 + (cut % (bytes.length - 127)))
          parseBounded(bytes)
        }
      ),
      { numRuns: 400, seed: 14 }
    )
  })

  it("hostile element headers (any type, any declared size) are parsed or refused", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 2, maxLength: 24 }), (words) => {
        parseBounded(withHeader(u32(...words)))
      }),
      { numRuns: 400, seed: 14 }
    )
  })
})
