import { describe, expect, it } from "@effect/vitest"
import { ConfigAliases } from "../src/index.ts"

const aliases: ReadonlyArray<ConfigAliases.Alias> = [
  { at: ["schedule"], old: "baseLr", name: "learningRate" },
  { at: ["data"], old: "kind", name: "objects", values: { person: "persons", vehicle: "vehicles" } }
]

describe("ConfigAliases", () => {
  it("reads an old name as the new one (values mapped), one warning each, the input untouched", () => {
    const input = { schedule: { baseLr: 0.1, warmup: { epochs: 1 } }, data: { kind: "vehicle", identities: 8 } }
    const copy = structuredClone(input)
    const applied = ConfigAliases.apply(input, aliases)
    expect(applied.input).toEqual({
      schedule: { learningRate: 0.1, warmup: { epochs: 1 } },
      data: { objects: "vehicles", identities: 8 }
    })
    expect(applied.warnings).toEqual([
      "schedule.baseLr is deprecated: write schedule.learningRate (read as schedule.learningRate: 0.1)",
      "data.kind is deprecated: write data.objects (read as data.objects: vehicles)"
    ])
    expect(applied.conflicts).toEqual([])
    expect(input).toEqual(copy)
  })

  it("leaves current names, absent sections and unmapped values alone; both names at once is a conflict", () => {
    expect(ConfigAliases.apply({ schedule: { learningRate: 1 } }, aliases)).toEqual({
      input: { schedule: { learningRate: 1 } },
      warnings: [],
      conflicts: []
    })
    expect(ConfigAliases.apply({ data: { kind: "dog" } }, aliases).input).toEqual({ data: { objects: "dog" } })
    expect(ConfigAliases.apply({ schedule: 3 }, aliases).input).toEqual({ schedule: 3 })
    expect(ConfigAliases.apply("text", aliases).input).toBe("text")
    const both = ConfigAliases.apply({ schedule: { baseLr: 0.1, learningRate: 0.2 } }, aliases)
    expect(both.conflicts).toEqual([
      "schedule.learningRate: give schedule.learningRate only (schedule.baseLr is its deprecated name)"
    ])
    expect(both.warnings).toEqual([])
  })
})
