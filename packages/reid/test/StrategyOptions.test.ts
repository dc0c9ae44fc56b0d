/**
 * Strategy entries with options: every built-in strategy has an options Schema whose defaults give exactly the
 * method it ran before options existed (pinned by `fixtures/resolved-methods.json`, written from the code before
 * the change: the built-in methods and every method of every shipped lifelong protocol file), a protocol writes
 * `{ use: <strategy>, name?, label?, options }`, and a bad option is one explained line naming its key path.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Catalogs from "../src/Catalogs.ts"
import * as Protocol from "../src/Protocol.ts"
import { Positive, withDefault } from "../src/ProtocolFields.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as Strategy from "../src/Strategy.ts"
import * as StrategyCatalog from "../src/StrategyCatalog.ts"
import * as LifelongStrategy from "../src/strategies/LifelongStrategy.ts"

const root = path.join(import.meta.dirname, "..", "..", "..")
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "fixtures", "resolved-methods.json"), "utf8"))
const json = (x: unknown) => JSON.parse(JSON.stringify(x))

const base = {
  name: "p",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2 },
      tasks: 2,
      unseenIdentities: 4
    }
  }
}
const decode = (methods: ReadonlyArray<unknown>) => ProtocolFile.decode({ ...base, methods })
const issues = (methods: ReadonlyArray<unknown>) =>
  Effect.map(Effect.flip(decode(methods)), (e) => e.issues.map((i) => `${i.path}: ${i.message}`))

describe("strategy options", () => {
  it("every built-in strategy's defaults give the method it ran before options (the fixture)", () => {
    expect(Object.keys(fixture.builtins)).toEqual(StrategyCatalog.builtin.names)
    for (const e of StrategyCatalog.builtin.entries) {
      const defaults = LifelongStrategy.defaults(e)
      expect(json(LifelongStrategy.method(e, defaults))).toStrictEqual(fixture.builtins[e.name])
      expect(Strategy.formula(LifelongStrategy.method(e).terms)).toBe(Strategy.formula(fixture.builtins[e.name].terms))
    }
  })

  it.effect("every shipped lifelong protocol file resolves to the same methods as before", () =>
    Effect.gen(function* () {
      const dir = path.join(root, "protocols")
      const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml") && !/^(mdkt|sweep|parts)-/.test(f))
        .sort()
      expect(files).toEqual(Object.keys(fixture).filter((k) => k !== "builtins"))
      for (const f of files) {
        const p = yield* ProtocolFile.parse(fs.readFileSync(path.join(dir, f), "utf8"), f)
        expect(json(p.methods.map((m) => Strategy.resolve(m)))).toStrictEqual(fixture[f])
      }
    })
  )

  it.effect("{ use, name, options } runs the strategy with those options, the others at their defaults", () =>
    Effect.gen(function* () {
      const p = yield* decode([
        "ewc",
        { use: "ewc", name: "ewc-10", options: { lambda: 10 } },
        { use: "dwopp", name: "dwopp-clamp", label: "DwoPP clamp", options: { clamp: 0.5, temperature: 2 } },
        { use: "replay", name: "replay-total", options: { budget: { kind: "total", size: 40 }, selection: "random" } },
        { use: "lwf" }
      ])
      const [ewc, ewc10, clamp, total, lwf] = p.methods.map((m) => Strategy.resolve(m))
      expect(ewc10).toEqual({
        ...ewc,
        name: "ewc-10",
        label: "ewc-10",
        regularizer: { kind: "ewc", lambda: 10, mode: "online", decay: 1 }
      })
      expect([clamp!.name, clamp!.label, clamp!.terms[1]]).toEqual([
        "dwopp-clamp",
        "DwoPP clamp",
        { loss: "dwopp", temperature: 2, clamp: 0.5, weight: 1 }
      ])
      expect(clamp!.terms[0]).toEqual(Strategy.builtins.dwopp.terms[0])
      expect(total!.rehearsal).toEqual({ budget: { kind: "total", size: 40 }, selection: "random" })
      // no options: the strategy itself, under its own name and label
      expect(lwf).toEqual(Strategy.builtins.lwf)
      expect(p.methods.map(Protocol.methodName)).toEqual(["ewc", "ewc-10", "dwopp-clamp", "replay-total", "lwf"])
      // decoded options hold every default, and the protocol round-trips through its text
      expect(p.methods[1]).toEqual({
        use: "ewc",
        name: "ewc-10",
        options: { labelSmoothing: 0.1, margin: 0.3, lambda: 10, mode: "online", decay: 1 }
      })
      expect(yield* ProtocolFile.parse(ProtocolFile.toYaml(p))).toEqual(p)
    })
  )

  it.effect("bad options are one line each naming the key path and what is allowed", () =>
    Effect.gen(function* () {
      expect(yield* issues([{ use: "ewc", options: { lamda: 10 } }])).toEqual([
        'methods[0].options.lamda: unknown key "lamda"; allowed keys: labelSmoothing, margin, lambda, mode, decay'
      ])
      expect(yield* issues([{ use: "ewc", options: { lambda: -1 } }])).toEqual([
        "methods[0].options.lambda: Expected a value greater than 0 (got -1)"
      ])
      expect(yield* issues([{ use: "ewc", nme: "x" }])).toEqual([
        'methods[0].nme: unknown key "nme"; allowed keys: use, name, label, options'
      ])
      expect(yield* issues([{ use: "ewc", options: { mode: "both" } }])).toEqual([
        'methods[0].options.mode: Expected "separate" | "online" (got "both")'
      ])
      const unknown = yield* issues([{ use: "nope" }])
      expect(unknown).toEqual([
        `methods[0].use: use must be one of ${StrategyCatalog.builtin.names.map((n) => `"${n}"`).join(", ")}, got "nope"`
      ])
      // the same strategy twice under one name is a repeated name; under another name it is fine
      expect(yield* issues(["ewc", { use: "ewc", options: { lambda: 10 } }])).toEqual([
        "methods: method names must be unique (rename with Strategy.renamed or name:), repeated: ewc"
      ])
      expect((yield* decode(["ewc", { use: "ewc", name: "ewc-10" }])).methods).toHaveLength(2)
    })
  )

  it("in TypeScript, LifelongStrategy.method decodes partial options; a bad one is an InvalidOption naming it", () => {
    const ewc = StrategyCatalog.builtin.require("ewc")
    expect(LifelongStrategy.method(ewc, { lambda: 10, mode: "separate" }).regularizer).toEqual({
      kind: "ewc",
      lambda: 10,
      mode: "separate",
      decay: 1
    })
    expect(() => LifelongStrategy.method(ewc, { lamda: 10 })).toThrow(
      'options of strategy ewc: lamda: unknown key "lamda"; allowed keys: labelSmoothing, margin, lambda, mode, decay'
    )
    expect(() => LifelongStrategy.method(ewc, { decay: 2 })).toThrow(/decay: Expected a value between 0 and 1/)
  })

  it.effect("a user's strategy with options decodes through the extended catalogs", () =>
    Effect.gen(function* () {
      const weighted = LifelongStrategy.make({
        name: "weighted-lwf",
        label: "Weighted LwF",
        description: "BoT + w * LwF(T=2)",
        options: { w: withDefault(Positive, 3) },
        method: (o) => ({
          ...Strategy.builtins.lwf,
          terms: [...Strategy.botTerms, { loss: "lwf", temperature: 2, weight: o.w }]
        })
      })
      expect(LifelongStrategy.defaults(weighted)).toEqual({ w: 3 })
      const catalogs = Catalogs.extend(Catalogs.builtin, { strategies: [weighted] })
      const p = yield* decode(["weighted-lwf", { use: "weighted-lwf", name: "w5", options: { w: 5 } }]).pipe(
        Catalogs.provide(catalogs)
      )
      const [w3, w5] = p.methods.map((m) => Strategy.resolve(m, catalogs.strategies))
      expect([w3!.terms[2]!.weight, w5!.terms[2]!.weight, w3!.label, w5!.label]).toEqual([3, 5, "Weighted LwF", "w5"])
      const bad = yield* Effect.flip(
        decode([{ use: "weighted-lwf", options: { w: 0 } }]).pipe(Catalogs.provide(catalogs))
      )
      expect(bad.issues).toEqual([{ path: "methods[0].options.w", message: "Expected a value greater than 0 (got 0)" }])
      // without the extended catalogs the name is unknown
      expect(Schema.is(Protocol.MethodRef)({ use: "weighted-lwf", options: { w: 5 } })).toBe(false)
    })
  )
})
