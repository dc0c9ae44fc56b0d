/**
 * The shipped protocol files of the real benchmarks (LReID, the DwoPP intra-domain splits): each decodes, uses the
 * papers' input size and `$REIDFX_DATA` roots, and a missing dataset folder (or REIDFX_DATA unset) stops the run
 * before anything is read with one error listing every missing folder and its expected layout.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as DataRoots from "../src/reid/DataRoots.ts"

const dir = path.join(import.meta.dirname, "..", "..", "..", "protocols")
const load = (file: string) =>
  Effect.runPromise(ProtocolFile.parse(fs.readFileSync(path.join(dir, file), "utf8"), file))
const real = fs
  .readdirSync(dir)
  .filter((f) => /^(lreid-(seen|dwopp)|dwopp-).*\.yaml$/.test(f))
  .sort()

describe("real-benchmark protocol files", () => {
  it("every lifelong protocol file decodes; the real ones use 256x128 and $REIDFX_DATA roots", async () => {
    expect(real).toEqual([
      "dwopp-market1501.yaml",
      "dwopp-msmt17.yaml",
      "dwopp-veri776.yaml",
      "lreid-dwopp.yaml",
      "lreid-seen-order1.yaml",
      "lreid-seen-order2.yaml"
    ])
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml") && !/^(mdkt|sweep|parts)-/.test(f)))
      await load(f)
    for (const f of real) {
      const p = await load(f)
      expect([p.training.height, p.training.width]).toEqual([256, 128])
      expect(DataRoots.layoutsOf(p).every((l) => l.world.root.startsWith("$REIDFX_DATA/"))).toBe(true)
    }
  })

  it("order 1 is Market-1501 -> CUHK-SYSU -> DukeMTMC-reID -> MSMT17 -> CUHK03, 500 identities each, whole test sets, the 7 LReID-Unseen sets", async () => {
    const p = await load("lreid-seen-order1.yaml")
    const split = p.data.split
    if (split.kind !== "interDomain") throw new Error("expected interDomain")
    expect(
      split.sequence.map((t) => [t.world.kind === "layout" ? t.world.layout : "", t.identities, t.testIdentities])
    ).toEqual([
      ["market1501", 500, "all"],
      ["cuhkSysu", 500, "all"],
      ["dukeMTMCReID", 500, "all"],
      ["msmt17", 500, "all"],
      ["cuhk03NPDetected", 500, "all"]
    ])
    expect(split.unseen.map((t) => (t.world.kind === "layout" ? t.world.layout : ""))).toEqual([
      "viper",
      "ilids",
      "prid",
      "grid",
      "senseReID",
      "cuhk01",
      "cuhk02"
    ])
    const dwopp = await load("dwopp-market1501.yaml")
    expect(dwopp.data.split).toMatchObject({ kind: "intraDomain", tasks: 10, baseIdentities: 76, order: "sorted" })
  })

  it("REIDFX_DATA unset: one error saying to set it, listing every dataset folder and its layout", async () => {
    const p = await load("lreid-seen-order1.yaml")
    const error = await Effect.runPromise(Effect.flip(DataRoots.resolve(p, undefined)))
    expect(error._tag).toBe("DatasetRootsMissing")
    expect(error.missing).toHaveLength(12)
    expect(error.message).toContain("REIDFX_DATA is not set")
    expect(error.message).toContain("data.split.unseen[3] (grid) (layout grid): $REIDFX_DATA/grid not found")
    expect(error.message).toContain("features_and_partitions.mat")
  })

  it("missing folders under REIDFX_DATA are listed together with the layout expected there; present ones resolve", async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-data-roots-"))
    try {
      const p = await load("lreid-seen-order1.yaml")
      const split = p.data.split
      if (split.kind !== "interDomain") throw new Error("expected interDomain")
      for (const t of [...split.sequence, ...split.unseen]) {
        if (t.world.kind === "layout" && !["viper", "cuhkSysu"].includes(t.world.layout))
          fs.mkdirSync(t.world.root.replace("$REIDFX_DATA", data), { recursive: true })
      }
      const error = await Effect.runPromise(Effect.flip(DataRoots.resolve(p, data)))
      expect(error.missing.map((m) => m.layout)).toEqual(["cuhkSysu", "viper"])
      expect(error.message).toContain(`2 dataset folder(s) missing (REIDFX_DATA=${data})`)
      expect(error.message).toContain(`${data}/viper not found`)
      expect(error.message).toContain("cuhksysu4reid/")
      fs.mkdirSync(path.join(data, "viper"))
      fs.mkdirSync(path.join(data, "cuhk-sysu", "CUHK-SYSU", "cuhksysu4reid"), { recursive: true })
      const resolved = await Effect.runPromise(DataRoots.resolve(p, data))
      expect(DataRoots.layoutsOf(resolved).map((l) => l.world.root)).toContain(path.join(data, "viper"))
    } finally {
      fs.rmSync(data, { recursive: true, force: true })
    }
  })

  it("expand: $REIDFX_DATA and its braced form; other roots unchanged", () => {
    expect(DataRoots.expand("$REIDFX_DATA/viper", "/d")).toBe("/d/viper")
    const braced = ["$", "{REIDFX_DATA}"].join("")
    expect(DataRoots.expand(`${braced}/viper`, "/d")).toBe("/d/viper")
    expect(DataRoots.expand("/abs/viper", undefined)).toBe("/abs/viper")
    expect(DataRoots.expand("$REIDFX_DATA/viper", undefined)).toBeUndefined()
    expect(DataRoots.expand("$REIDFX_DATASETS/x", "/d")).toBe("$REIDFX_DATASETS/x")
  })
})
