import { describe, expect, it } from "@effect/vitest"
import { encodeNpy, parseFeatureFile, parseLabelFile } from "../src/index.ts"

const bytes = (s: string) => new TextEncoder().encode(s)

describe("feature and label files", () => {
  it("reads .npy features and labels", () => {
    const f = parseFeatureFile(encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]), "f.npy")
    expect([f.rows, f.dim, Array.from(f.data)]).toEqual([3, 2, [1, 2, 3, 4, 5, 6]])
    expect(parseLabelFile(encodeNpy(Int32Array.from([1, 0, 2, 1]), [2, 2]), "l.npy")).toEqual({
      _tag: "Both",
      ids: [1, 2],
      cams: [0, 1]
    })
    expect(parseLabelFile(encodeNpy(Int32Array.from([4, 5]), [2]), "l.npy")).toEqual({ _tag: "Single", values: [4, 5] })
    expect(() => parseFeatureFile(encodeNpy(Float32Array.from([1, 2]), [2]), "f.npy")).toThrow(/expected a 2-D/)
    expect(() => parseFeatureFile(bytes("garbage"), "f.npy")).toThrow(expect.objectContaining({ _tag: "InvalidFile" }))
  })

  it("reads JSON and CSV", () => {
    expect(parseFeatureFile(bytes("[[1,2],[3,4]]"), "f.json").rows).toBe(2)
    expect(parseFeatureFile(bytes('{"features":[[1,2]]}'), "f.json").dim).toBe(2)
    expect(parseFeatureFile(bytes("1,2\n3,4\n"), "f.csv").data).toEqual(Float32Array.from([1, 2, 3, 4]))
    expect(() => parseFeatureFile(bytes("[[1,2],[3]]"), "f.json")).toThrow(/row 1 has 1 values/)
    expect(parseLabelFile(bytes("pid,camid\n3,1\n4,2\n"), "l.csv")).toEqual({ _tag: "Both", ids: [3, 4], cams: [1, 2] })
    expect(parseLabelFile(bytes("3,1\n4,2\n"), "l.csv")).toEqual({ _tag: "Both", ids: [3, 4], cams: [1, 2] })
    expect(parseLabelFile(bytes("7\n8\n"), "l.csv")).toEqual({ _tag: "Single", values: [7, 8] })
    expect(parseLabelFile(bytes('{"ids":[1],"cams":[2]}'), "l.json")).toEqual({ _tag: "Both", ids: [1], cams: [2] })
    expect(parseLabelFile(bytes('[{"id":1,"camera":2}]'), "l.json")).toEqual({ _tag: "Both", ids: [1], cams: [2] })
    expect(() => parseLabelFile(bytes("[1.5]"), "l.json")).toThrow(/expected an integer/)
    expect(() => parseLabelFile(bytes("a,b\n1,2"), "l.csv")).toThrow(/no "id" and "cam" columns/)
    expect(() => parseLabelFile(bytes("{"), "l.json")).toThrow(/not valid JSON/)
  })
})
