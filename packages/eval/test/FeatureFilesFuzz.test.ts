import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { encodeNpy, InvalidFile, parseFeatureFile, parseLabelFile } from "../src/index.ts"

/** A `.npy` v1.0 file with a hand-written header (any shape text) and `data` bytes. */
const npy = (shape: string, data: Uint8Array, descr = "<f4"): Uint8Array => {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }`
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n"
  const out = new Uint8Array(10 + header.length + data.length)
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0])
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(data, 10 + header.length)
  return out
}

/** Parses; the result must be consistent and bounded by the input, or the error the typed one. */
const bounded = (f: () => { data: ArrayLike<number>; rows: number; dim: number }, inputBytes: number) => {
  try {
    const m = f()
    expect(m.rows * m.dim).toBe(m.data.length)
    expect(m.data.length).toBeLessThanOrEqual(inputBytes)
    return "ok"
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidFile)
    return (e as InvalidFile).message
  }
}

describe("feature files on hostile input", () => {
  it("hostile .npy headers are one typed error each, checked before allocating", () => {
    const refuse = (bytes: Uint8Array) => bounded(() => parseFeatureFile(bytes, "f.npy"), bytes.length)
    // 1.4 KB declaring 20000 x 10000 (once 2.5 GB allocated before the length check)
    expect(refuse(npy("20000, 10000", new Uint8Array(1344)))).toBe(
      "f.npy: not a valid .npy file (shape (20000, 10000) of f4 needs 800000000 data bytes, the file holds 1344)"
    )
    expect(refuse(npy("-20, 16", new Uint8Array(64)))).toBe(
      "f.npy: not a valid .npy file (shape (-20, 16) is not a tuple of non-negative integers)"
    )
    expect(refuse(npy("1.5, 16", new Uint8Array(64)))).toBe(
      "f.npy: not a valid .npy file (shape (1.5, 16) is not a tuple of non-negative integers)"
    )
    expect(refuse(npy("100000, 100000", new Uint8Array(8)))).toBe(
      "f.npy: not a valid .npy file (shape (100000, 100000) holds 10000000000 values, more than 2147483647)"
    )
    expect(refuse(new Uint8Array([0x93, 78, 85, 77, 80, 89, 1, 0, 0xff, 0xff]))).toBe(
      "f.npy: not a valid .npy file (the header declares 65535 bytes but the file holds 10)"
    )
    // a valid one still reads
    const ok = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])
    expect(parseFeatureFile(ok, "f.npy")).toEqual({ data: new Float32Array([1, 2, 3, 4, 5, 6]), rows: 2, dim: 3 })
  })

  it("any shape text, dtype and data length: parsed consistently or refused", () => {
    const dim = fc.oneof(
      fc.integer({ min: -5, max: 40 }).map(String),
      fc.constantFrom("1.5", "NaN", "1e9", "99999999999", "", "x", "2**31")
    )
    fc.assert(
      fc.property(
        fc.array(dim, { minLength: 0, maxLength: 4 }),
        fc.constantFrom("<f4", "<f8", "<i4", "<i8", "|u1", "<U8", ">f4", "<c8"),
        fc.integer({ min: 0, max: 512 }),
        (dims, descr, length) => {
          const bytes = npy(dims.join(", ") + (dims.length === 1 ? "," : ""), new Uint8Array(length), descr)
          bounded(() => parseFeatureFile(bytes, "f.npy"), bytes.length)
          try {
            parseLabelFile(bytes, "l.npy")
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidFile)
          }
        }
      ),
      { numRuns: 300, seed: 14 }
    )
  })

  it("mutated valid .npy files: parsed consistently or refused", () => {
    const base = encodeNpy(
      Float32Array.from({ length: 48 }, (_, i) => i),
      [12, 4]
    )
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        (flips, cut) => {
          let bytes = base.slice()
          for (const [i, v] of flips) bytes[i % bytes.length] = v
          if (cut !== null) bytes = bytes.subarray(0, cut % bytes.length)
          bounded(() => parseFeatureFile(bytes, "f.npy"), bytes.length)
        }
      ),
      { numRuns: 300, seed: 14 }
    )
  })

  it("arbitrary CSV and JSON text: parsed consistently or refused", () => {
    const cell = fc.oneof(
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom("", "nan", "x", "1e999", "-0")
    )
    const csv = fc
      .array(
        fc.array(cell, { minLength: 1, maxLength: 5 }).map((r) => r.join(",")),
        { maxLength: 10 }
      )
      .map((rows) => rows.join("\n"))
    fc.assert(
      fc.property(fc.oneof(csv, fc.string()), (text) => {
        const bytes = new TextEncoder().encode(text)
        bounded(() => parseFeatureFile(bytes, "f.csv"), bytes.length)
        try {
          parseLabelFile(bytes, "l.csv")
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidFile)
        }
      }),
      { numRuns: 300, seed: 14 }
    )
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        const bytes = new TextEncoder().encode(text)
        bounded(() => parseFeatureFile(bytes, "f.json"), bytes.length)
        try {
          parseLabelFile(bytes, "l.json")
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidFile)
        }
      }),
      { numRuns: 300, seed: 14 }
    )
  })
})
