import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as Demo from "../src/Demo.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as Strategy from "../src/Strategy.ts"

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const minimal: ProtocolInput = { name: "p", data: { split: { kind: "intraDomain" } }, methods: ["dwopp"] }

const issuesOf = (input: unknown) => Effect.runSync(Effect.flip(ProtocolFile.decode(input))).issues

describe("Protocol", () => {
  it.effect("fills in defaults", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make(minimal)
      expect(p.stages.map((s) => s.kind)).toEqual(["train", "evaluate", "snapshot"])
      expect(p.seeds).toEqual([0])
      expect(p.data.split.kind).toBe("intraDomain")
      expect(p.evaluation.ranks).toEqual([1, 5, 10])
    })
  )

  it("an unknown key is an error naming the key and the allowed keys", () => {
    const issues = issuesOf({ ...minimal, data: { split: { kind: "intraDomain", taks: 3 } } })
    expect(issues).toHaveLength(1)
    expect(issues[0]!.path).toBe("data.split.taks")
    expect(issues[0]!.message).toContain('unknown key "taks"')
    expect(issues[0]!.message).toContain("tasks")
    expect(issues[0]!.message).toContain("unseenIdentities")
  })

  it("a bad stage kind or loss lists the allowed values", () => {
    const issues = issuesOf({
      ...minimal,
      stages: [{ kind: "trian" }],
      methods: [{ name: "m", sampler: { kind: "pk" }, terms: [{ loss: "dwop" }] }]
    })
    expect(issues.map((i) => i.path)).toEqual(["stages[0].kind", "methods[0].terms[0].loss"])
    expect(issues[0]!.message).toBe('kind must be one of "train", "snapshot", "evaluate", "custom", got "trian"')
    expect(issues[1]!.message).toContain('"dwopp"')
  })

  it("a bad value names the key and the allowed range", () => {
    const issues = issuesOf({ ...minimal, training: { epochs: 0 }, methods: ["dwop"] })
    expect(issues.map((i) => i.path)).toEqual(["training.epochs", "methods[0]"])
    expect(issues[0]!.message).toBe("Expected a value between 1 and 10000000 (got 0)")
    expect(issues[1]!.message).toContain('"bot-ft"')
  })

  it("a method whose terms need the old model must declare the first task", () => {
    const exit = Effect.runSyncExit(
      ProtocolFile.decode({ ...minimal, methods: [{ name: "m", sampler: { kind: "pk" }, terms: [{ loss: "lwf" }] }] })
    )
    assert.isTrue(Exit.isFailure(exit))
    const issues = issuesOf({ ...minimal, methods: [{ name: "m", sampler: { kind: "pk" }, terms: [{ loss: "lwf" }] }] })
    expect(issues[0]!.message).toContain("firstTask")
    const ok = Effect.runSync(
      ProtocolFile.decode({
        ...minimal,
        methods: [{ name: "m", sampler: { kind: "pk" }, terms: [{ loss: "lwf" }], firstTask: "withoutOldModelTerms" }]
      })
    )
    expect(Strategy.termsForTask(Strategy.resolve(ok.methods[0]!), false)).toEqual([])
  })

  it("darkRank is an old-model term with the paper's defaults (alpha 12.25, beta 4, soft)", () => {
    const ok = Effect.runSync(
      ProtocolFile.decode({
        ...minimal,
        methods: [
          {
            name: "m",
            sampler: { kind: "pk" },
            terms: [{ loss: "crossEntropy" }, { loss: "darkRank", transfer: "hard" }],
            firstTask: "withoutOldModelTerms"
          }
        ]
      })
    )
    const method = Strategy.resolve(ok.methods[0]!)
    expect(method.terms[1]).toEqual({ loss: "darkRank", transfer: "hard", alpha: 12.25, beta: 4, weight: 1 })
    expect(Strategy.needsOldModel(method)).toBe(true)
    expect(
      issuesOf({ ...minimal, methods: [{ name: "m", sampler: { kind: "pk" }, terms: [{ loss: "darkRank" }] }] })[0]!
        .message
    ).toContain("firstTask")
  })

  it("method names and seeds must be unique", () => {
    expect(issuesOf({ ...minimal, methods: ["dwopp", "dwopp"] })[0]!.message).toContain("repeated: dwopp")
    expect(issuesOf({ ...minimal, seeds: [1, 1] })[0]!.path).toBe("seeds")
  })

  it("YAML that does not parse is a decode error", () => {
    const e = Effect.runSync(Effect.flip(ProtocolFile.parse("name: [x", "bad.yaml")))
    expect(e._tag).toBe("ProtocolDecodeError")
    expect(e.message).toContain("bad.yaml")
  })

  it("round-trips through YAML and JSON (property over generated protocols)", () => {
    const methodNames = ["joint", "bot-ft", "lwf", "aka", "dmml-ft", "dwpp", "dwopp"] as const
    const arbitrary = fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/),
      tasks: fc.integer({ min: 1, max: 10 }),
      unseen: fc.integer({ min: 1, max: 100 }),
      order: fc.constantFrom("shuffled", "sorted"),
      methods: fc.uniqueArray(fc.constantFrom(...methodNames), { minLength: 1 }),
      seeds: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 5 }),
      epochs: fc.integer({ min: 1, max: 50 }),
      lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
      temperature: fc.double({ min: 0.1, max: 10, noNaN: true }),
      after: fc.oneof(
        fc.constantFrom("everyTask", "lastTask"),
        fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 3 })
      ),
      custom: fc.boolean()
    })
    fc.assert(
      fc.property(arbitrary, (a) => {
        const input: ProtocolInput = {
          name: a.name,
          data: {
            split: { kind: "intraDomain", tasks: a.tasks, unseenIdentities: a.unseen, order: a.order as "sorted" }
          },
          training: { epochs: a.epochs, optimizer: { learningRate: a.lr } },
          evaluation: { after: a.after as "everyTask" },
          stages: a.custom
            ? [{ kind: "train" }, { kind: "custom", name: "probe", options: { k: 1 } }, { kind: "snapshot" }]
            : (undefined as never),
          methods: [
            ...a.methods,
            {
              ...Strategy.renamed(Strategy.builtins.dwopp, "dwopp-t"),
              terms: [
                { loss: "dmml", margin: 0, weight: 1 },
                { loss: "dwopp", temperature: a.temperature, weight: 0.5 }
              ]
            }
          ],
          seeds: a.seeds
        }
        if (!a.custom) delete (input as { stages?: unknown }).stages
        const p = Effect.runSync(ProtocolFile.make(input))
        const fromYaml = Effect.runSync(ProtocolFile.parse(ProtocolFile.toYaml(p)))
        const fromJson = Effect.runSync(ProtocolFile.parse(ProtocolFile.toJsonText(p)))
        expect(fromYaml).toEqual(p)
        expect(fromJson).toEqual(p)
        expect(ProtocolFile.toYaml(fromYaml)).toBe(ProtocolFile.toYaml(p))
      }),
      { numRuns: 40 }
    )
  })

  it("every shipped lifelong protocol file decodes and round-trips", () => {
    const dir = path.join(root, "protocols")
    // lifelong protocols (other files there belong to other protocol engines, e.g. MDKT's)
    const files = readdirSync(dir).filter((f) => /^(lifelong|lreid)-.*\.yaml$/.test(f))
    expect(files.length).toBeGreaterThanOrEqual(3)
    for (const f of files) {
      const p = Effect.runSync(ProtocolFile.parse(readFileSync(path.join(dir, f), "utf8"), f))
      expect(Effect.runSync(ProtocolFile.parse(ProtocolFile.toYaml(p)))).toEqual(p)
    }
  })
})

describe("the demo protocol", () => {
  it("protocols/lifelong-synthetic.yaml is the demo protocol", () => {
    const file = Effect.runSync(
      ProtocolFile.parse(readFileSync(path.join(root, "protocols", "lifelong-synthetic.yaml"), "utf8"))
    )
    expect(file).toEqual(Effect.runSync(ProtocolFile.make(Demo.protocol)))
  })
})
