import { Backend, Provenance } from "@reidfx/tensor"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as AblationTable from "../../src/mdkt/AblationTable.ts"
import * as Mdkt from "../../src/mdkt/Mdkt.ts"
import * as MdktProtocolFile from "../../src/mdkt/MdktProtocolFile.ts"
import { tinyProtocol } from "./fixtures.ts"

const wasm = Layer.fresh(Backend.layerWasmWith({ threads: 1 }))

describe("the MDKT protocol end to end (tiny)", () => {
  it("runs both stages for each row, evaluates I2V and V2V, prints and writes both tables", async () => {
    const protocol = await Effect.runPromise(tinyProtocol())
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-"))
    const lines: Array<string> = []
    const { run, written } = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out, log: (l) => Effect.sync(() => lines.push(l)) }).pipe(Effect.provide(wasm))
    )
    expect(run.seeds).toHaveLength(1)
    expect(run.seeds[0]!.configurations.map((c) => c.key)).toEqual(["tr+mkd+pd+mtcl@mutual", "tr+mkd+pd+mtcl@frozen"])
    for (const c of run.seeds[0]!.configurations) {
      for (const p of ["i2v", "v2v"] as const) {
        expect(c.student[p].cmc1).toBeGreaterThanOrEqual(0)
        expect(c.student[p].cmc1).toBeLessThanOrEqual(100)
        expect(c.student[p].mAP).toBeGreaterThan(0)
        expect(c.student[p].queries).toBeGreaterThan(0)
      }
    }
    // the frozen row reports the stage-1 teacher
    expect(run.seeds[0]!.configurations[1]!.teacher).toEqual(run.seeds[0]!.stage1.teacher)
    expect(lines.some((l) => l.includes("stage 1 epoch 1/1"))).toBe(true)
    expect(AblationTable.toText(run)).toMatch(/Table 2/)
    const json = JSON.parse(fs.readFileSync(written.json, "utf8"))
    expect(json.tables.table1.rows[0].label).toBe("ALL")
    // the engine's writer put the run's provenance on top: the hash of the protocol as run, the wasm backend
    expect(Object.keys(json)[0]).toBe("provenance")
    expect(json.provenance.configHash).toBe(Provenance.configHash(MdktProtocolFile.encode(protocol)))
    expect(json.provenance.backend).toBe("wasm")
    expect(fs.readFileSync(written.markdown, "utf8")).toContain(`> config hash ${json.provenance.configHash}`)
    expect(fs.readFileSync(written.html, "utf8")).toMatch(/<svg/)
    expect(fs.readFileSync(written.markdown, "utf8")).toMatch(/\| Models/)
  })
})

describe("resuming a run folder", () => {
  it("a second run on the same folder reuses the finished seeds; another protocol there is refused", async () => {
    const protocol = await Effect.runPromise(
      tinyProtocol({ tables: { table1: [{ label: "TR", terms: ["tr"] }], table2: "none" } })
    )
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-resume-"))
    const first = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out, log: () => Effect.void }).pipe(Effect.provide(wasm))
    )
    expect(fs.existsSync(path.join(out, "units", "seed-0", "state.json"))).toBe(true)
    const lines: Array<string> = []
    const second = await Effect.runPromise(
      Mdkt.runProtocol(protocol, { out, log: (l) => Effect.sync(() => lines.push(l)) }).pipe(Effect.provide(wasm))
    )
    expect(lines.some((l) => l.includes("already run"))).toBe(true)
    expect(second.run.seeds).toEqual(JSON.parse(JSON.stringify(first.run.seeds)))
    const other = { ...protocol, student: { ...protocol.student, frames: 2 } }
    const refused = await Effect.runPromise(
      Effect.flip(Mdkt.runProtocol(other, { out, log: () => Effect.void })).pipe(Effect.provide(wasm))
    )
    expect(refused.message).toMatch(/another protocol/)
  })
})

describe("Mdkt.runFile", () => {
  it("a missing or invalid file is a typed error that names the file", async () => {
    const missing = await Effect.runPromise(Effect.flip(Mdkt.runFile("/nonexistent/mdkt.yaml")))
    expect(missing._tag).toBe("MdktProtocolDecodeError")
    expect(missing.message).toMatch(/nonexistent\/mdkt\.yaml/)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdkt-bad-"))
    const file = path.join(dir, "bad.yaml")
    fs.writeFileSync(file, "name: bad\nkind: mdkt\ndata: { world: { kind: synthetic, trainIdentities: 0 } }\n")
    const bad = await Effect.runPromise(Effect.flip(Mdkt.runFile(file)))
    expect(bad.message).toMatch(/trainIdentities/)
  })
})
