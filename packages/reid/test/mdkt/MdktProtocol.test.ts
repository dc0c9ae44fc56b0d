import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { MdktProtocolDecodeError, MdktProtocolInvalid } from "../../src/mdkt/errors.ts"
import { configurationKey, resolveRows, seedTable1, seedTable2 } from "../../src/mdkt/MdktProtocol.ts"
import * as MdktProtocolFile from "../../src/mdkt/MdktProtocolFile.ts"
import { rowObjectives, rowTerms } from "../../src/mdkt/MdktObjective.ts"
import type { TermName } from "../../src/mdkt/MdktProtocol.ts"

const minimal = { name: "tiny", kind: "mdkt", data: { world: { kind: "synthetic" } } }
const protocolsDir = path.resolve(import.meta.dirname, "../../../../protocols")

describe("MDKT protocol files", () => {
  it("decode -> encode -> decode gives the same value (YAML and JSON)", async () => {
    const p = await Effect.runPromise(MdktProtocolFile.decode(minimal))
    const again = await Effect.runPromise(MdktProtocolFile.parse(MdktProtocolFile.toYaml(p)))
    expect(again).toEqual(p)
    const json = await Effect.runPromise(MdktProtocolFile.parse(MdktProtocolFile.toJson(p)))
    expect(json).toEqual(p)
    expect(p.student.frames).toBe(1)
    expect(p.teacher.frames).toBe(4)
    expect(p.student.mode).toBe("mutual")
  })

  it("every shipped protocol decodes and round-trips", async () => {
    const files = fs.readdirSync(protocolsDir).filter((f) => f.startsWith("mdkt-") && f.endsWith(".yaml"))
    expect(files.length).toBeGreaterThanOrEqual(2)
    for (const f of files) {
      const p = await Effect.runPromise(MdktProtocolFile.parse(fs.readFileSync(path.join(protocolsDir, f), "utf8"), f))
      expect(await Effect.runPromise(MdktProtocolFile.parse(MdktProtocolFile.toYaml(p)))).toEqual(p)
      expect(MdktProtocolFile.isMdktProtocolValue(MdktProtocolFile.encode(p))).toBe(true)
    }
  })

  it("a bad value or an unknown key is an error naming the key", async () => {
    const bad = await Effect.runPromiseExit(
      MdktProtocolFile.decode({ ...minimal, student: { frames: 0, mode: "sometimes" } })
    )
    expect(Exit.isFailure(bad)).toBe(true)
    const error = await Effect.runPromise(
      Effect.flip(MdktProtocolFile.decode({ ...minimal, student: { frames: 0, mode: "sometimes" } }))
    )
    expect(error).toBeInstanceOf(MdktProtocolDecodeError)
    expect(error.message).toMatch(/student\.frames/)
    expect(error.message).toMatch(/student\.mode/)
    const unknown = await Effect.runPromise(Effect.flip(MdktProtocolFile.decode({ ...minimal, teachr: {} })))
    expect(unknown.message).toMatch(/teachr/)
    const notYaml = await Effect.runPromise(Effect.flip(MdktProtocolFile.parse("name: [unclosed")))
    expect(notYaml.message).toMatch(/YAML/)
  })

  it("a layout name not in the video layout catalog names the allowed ones", async () => {
    const text = "kind: mdkt\nname: x\ndata:\n  world: { kind: layout, layout: ilidsVid, root: /nowhere }\n"
    const error = await Effect.runPromise(Effect.flip(MdktProtocolFile.parse(text, "x.yaml")))
    expect(error.message).toContain("ilidsVid")
    expect(error.message).toContain("mars")
  })

  it("seed rows resolve to configurations; ALL and 'with mutual' share one", async () => {
    const p = await Effect.runPromise(MdktProtocolFile.decode(minimal))
    const t1 = resolveRows(p.tables.table1, p.student, seedTable1)
    const t2 = resolveRows(p.tables.table2, p.student, seedTable2)
    expect(t1.map((r) => r.label)).toEqual([
      "TR",
      "TCL",
      "TR+TCL",
      "MKD+PD+TCL",
      "TR+MKD+PD",
      "TR+MKD+TCL",
      "TR+PD+TCL",
      "ALL"
    ])
    expect(t2.map((r) => r.mode)).toEqual(["frozen", "withoutMutual", "mutual"])
    expect(t1[7]!.key).toBe(t2[2]!.key)
    expect(new Set([...t1, ...t2].map((r) => r.key)).size).toBe(10)
    expect(configurationKey(["mtcl", "tr"], "frozen")).toBe("tr+mtcl@frozen")
  })
})

describe("MDKT objectives", () => {
  const all: ReadonlyArray<TermName> = ["tr", "mkd", "pd", "mtcl"]
  const subsets = Array.from({ length: 15 }, (_, m) => all.filter((_, i) => (m + 1) & (1 << i)))
  const names: Record<TermName, RegExp> = {
    tr: /tripletBatchHard/,
    mkd: /mutualLogitsKD/,
    pd: /pairwiseDistance/,
    mtcl: /mutualTripletContrast/
  }
  const peer = {
    name: "peer",
    forward: () => {
      throw new Error("not used")
    },
    variables: []
  }

  it("each term switch changes the Objective's formula, on both sides", async () => {
    const p = await Effect.runPromise(MdktProtocolFile.decode(minimal))
    const formulas = new Set<string>()
    for (const terms of subsets) {
      const o = await Effect.runPromise(rowObjectives(p.student, terms, "mutual", { teacher: peer, student: peer }))
      for (const t of all) expect(names[t].test(o.student.formula)).toBe(terms.includes(t))
      // the teacher keeps L_TR (teacherKeepsTr) and mirrors the transfer terms
      expect(o.teacher!.formula).toMatch(/tripletBatchHard/)
      for (const t of ["mkd", "pd", "mtcl"] as const) expect(names[t].test(o.teacher!.formula)).toBe(terms.includes(t))
      formulas.add(o.student.formula)
    }
    expect(formulas.size).toBe(15)
  })

  it("the teacher's mode decides its objective; mining switches sides", async () => {
    const p = await Effect.runPromise(MdktProtocolFile.decode(minimal))
    const frozen = await Effect.runPromise(rowObjectives(p.student, all, "frozen", { teacher: peer, student: peer }))
    expect(frozen.teacher).toBeUndefined()
    const without = await Effect.runPromise(
      rowObjectives(p.student, all, "withoutMutual", { teacher: peer, student: peer })
    )
    expect(without.teacher!.formula).toBe("1 * tripletBatchHard(margin=0.3) + 1 * crossEntropyLabelSmooth(epsilon=0.1)")
    const mutual = await Effect.runPromise(rowObjectives(p.student, all, "mutual", { teacher: peer, student: peer }))
    expect(mutual.student.formula).toMatch(/mineFrom=peer/)
    expect(mutual.teacher!.formula).toMatch(/mineFrom=self/)
    const noCe = rowTerms(
      { ...p.student, terms: { ...p.student.terms, tr: { ...p.student.terms.tr, crossEntropy: 0 } } },
      ["tr"],
      "frozen"
    )
    expect(noCe.student.map((t) => t.name)).toEqual(["tr.triplet"])
  })

  it("a row with no term is a typed error", async () => {
    const p = await Effect.runPromise(MdktProtocolFile.decode(minimal))
    const e = await Effect.runPromise(
      Effect.flip(rowObjectives(p.student, [], "mutual", { teacher: peer, student: peer }))
    )
    expect(e).toBeInstanceOf(MdktProtocolInvalid)
  })
})
