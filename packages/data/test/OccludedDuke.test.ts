import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import * as LayoutCatalog from "../src/LayoutCatalog.ts"
import * as Readers from "../src/Readers.ts"

let tmp = ""
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "reidfx-occduke-"))
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

const tree = async (name: string, files: ReadonlyArray<string>) => {
  const root = path.join(tmp, name)
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true })
    await fs.writeFile(path.join(root, f), "")
  }
  return root
}

describe("Occluded-DukeMTMC", () => {
  it("reads Occluded_Duke/ by its catalog name: identities, 0-based cameras c1..c8, bad names skipped and counted", async () => {
    const root = await tree("Occluded_Duke", [
      "bounding_box_train/0001_c2_f0046182.jpg",
      "bounding_box_train/0001_c5_f0051341.jpg",
      "bounding_box_train/0005_c8_f0000123.jpg",
      "bounding_box_train/notes.jpg",
      "query/0002_c1_f0078323.jpg",
      "bounding_box_test/0002_c7_f0001234.jpg",
      "bounding_box_test/0009_c3_f0012345.jpg"
    ])
    const entry = LayoutCatalog.builtin.require("occludedDuke")
    expect([entry.dataset, entry.kind, entry.objects]).toEqual(["Occluded-DukeMTMC", "image", "persons"])
    const ds = await Effect.runPromise(entry.read(root))
    expect(ds.name).toBe("Occluded-DukeMTMC")
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [1, 1],
      [1, 4],
      [5, 7]
    ])
    expect(ds.query.map((i) => [i.id, i.cam])).toEqual([[2, 0]])
    expect(ds.gallery.map((i) => [i.id, i.cam])).toEqual([
      [2, 6],
      [9, 2]
    ])
    expect(Object.values(ds.report?.skipped ?? {}).reduce((a, b) => a + b, 0)).toBe(1)
    // the Readers function is the same reader
    expect((await Effect.runPromise(Readers.occludedDuke(root))).train.length).toBe(3)
  })

  it("a missing folder is a DatasetNotFound that shows the expected tree", async () => {
    const exit = await Effect.runPromiseExit(
      LayoutCatalog.builtin.require("occludedDukeMTMC").read(path.join(tmp, "nope"))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const shown = JSON.stringify(exit)
    expect(shown).toContain("DatasetNotFound")
    expect(shown).toContain("bounding_box_train")
  })
})

describe("the layout catalog", () => {
  it("names are the readers' names; earlier protocol spellings are aliases that decode to them", () => {
    const S = LayoutCatalog.ImageLayoutName
    const decode = Schema.decodeUnknownSync(S)
    expect(
      ["dukemtmcReid", "cuhk03", "cuhk03detected", "generic", "cuhksysu", "sensereid"].map((n) => decode(n))
    ).toEqual(["dukeMTMCReID", "cuhk03NP", "cuhk03NPDetected", "folders", "cuhkSysu", "senseReID"])
    expect(decode("occludedDuke")).toBe("occludedDuke")
    expect(() => decode("mars")).toThrow() // a video layout is not an image layout
    expect(LayoutCatalog.builtin.require("dukemtmcVideoReid").name).toBe("dukeMTMCVideoReID")
    expect(LayoutCatalog.builtin.entries.filter((e) => e.objects === "vehicles").map((e) => e.name)).toEqual([
      "veri776"
    ])
  })

  it("every entry shows a layout, and every Readers.layouts tree belongs to an entry", () => {
    for (const e of LayoutCatalog.builtin.entries) expect(e.layout.length).toBeGreaterThan(10)
    const shown = new Set(LayoutCatalog.builtin.entries.map((e) => e.layout))
    const { manifest: _manifest, ...trees } = Readers.layouts
    for (const [name, layout] of Object.entries(trees)) expect([name, shown.has(layout)]).toEqual([name, true])
  })
})
