/**
 * The loss catalog is the loss files' entries: every file under `src/losses/` that exports an `entry` is
 * catalogued once under its name, with its own options Schema and constructor.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as Catalog from "../src/Catalog.ts"
import type { LossEntry } from "../src/LossEntry.ts"

const dir = path.join(import.meta.dirname, "..", "src", "losses")
const modules = await Promise.all(
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map(async (f) => [f, (await import(path.join(dir, f))) as Record<string, unknown>] as const)
)
const withEntry = modules.filter(([, m]) => m["entry"] !== undefined)

describe("loss entries (one file per loss)", () => {
  it("the catalog holds exactly the loss files' entries, each under its own name, in the names' order", () => {
    expect(withEntry.length).toBe(19)
    expect(Catalog.losses.entries.map((e) => e.name)).toEqual(Catalog.TermName.literals)
    for (const [file, m] of withEntry) {
      const e = m["entry"] as LossEntry
      expect(Catalog.losses.require(e.name)).toBe(e)
      // the entry's options Schema is the file's Options, and its constructor the file's loss
      expect(e.options).toBe(m["Options"])
      expect(e.make).toBe(m[e.name])
      expect(file.toLowerCase()).toBe(`${e.name.toLowerCase()}.ts`)
    }
  })

  it("an entry's options Schema decodes {} to the defaults the loss itself uses (losses without class parameters)", () => {
    for (const [, m] of withEntry) {
      const e = m["entry"] as LossEntry
      if (e.classParameters) continue
      const decode = m["decode"] as (o: unknown) => unknown
      expect(Schema.decodeUnknownSync(e.options as Schema.Codec<unknown, unknown>)({})).toEqual(decode({}))
    }
  })
})
