import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ProtocolKind from "../src/ProtocolKind.ts"
import * as StageJournal from "../src/StageJournal.ts"

const Toy = Schema.Struct({
  name: Schema.String,
  kind: Schema.optionalKey(Schema.Literal("toy")),
  steps: Schema.Number
})

const ran: Array<string> = []
const kindNamed = (name: string) =>
  ProtocolKind.make({
    name,
    description: `the ${name} kind`,
    schema: Toy,
    decode: (input: unknown) =>
      Schema.decodeUnknownEffect(Toy)(ProtocolKind.withoutKind(input, name)).pipe(
        Effect.mapError((e) => ({ message: e.message }))
      ),
    run: (protocol, request) =>
      Effect.sync(() => void ran.push(`${name}:${protocol.name}:${protocol.steps}:${request.fresh}`))
  })

const registry = ProtocolKind.registry([kindNamed("lifelong"), kindNamed("toy")])

describe("ProtocolKind: dispatch on the declared kind", () => {
  it.effect("a file without kind is lifelong; kind: toy goes to the toy entry; nothing else of the text is read", () =>
    Effect.gen(function* () {
      ran.length = 0
      const a = yield* ProtocolKind.prepare(registry, { name: "a", steps: 1 }, "a.yaml")
      const b = yield* ProtocolKind.prepare(registry, { name: "b", kind: "toy", steps: 2 }, "b.yaml")
      expect([a.kind, b.kind]).toEqual(["lifelong", "toy"])
      yield* a.run({ fresh: false })
      yield* b.run({ fresh: true })
      expect(ran).toEqual(["lifelong:a:1:false", "toy:b:2:true"])
      // kind: lifelong is accepted (and dropped before the lifelong schema decodes)
      expect((yield* ProtocolKind.prepare(registry, { name: "c", kind: "lifelong", steps: 3 }, "c.yaml")).name).toBe(
        "c"
      )
    })
  )

  it.effect("an unknown kind is a typed error naming the file, the value and the allowed kinds", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(ProtocolKind.prepare(registry, { name: "x", kind: "mdtk", steps: 1 }, "x.yaml"))
      expect((e as { _tag?: string })._tag).toBe("UnknownProtocolKind")
      expect(e.message).toBe(
        'invalid protocol (x.yaml):\n  - at kind: must be one of "lifelong", "toy" (absent means "lifelong"), got "mdtk"'
      )
      const n = yield* Effect.flip(ProtocolKind.prepare(registry, { name: "x", kind: 3 }, "x.yaml"))
      expect(n.message).toMatch(/got 3$/)
    })
  )

  it("a kind registered twice is refused", () => {
    expect(() => ProtocolKind.registry([kindNamed("toy"), kindNamed("toy")])).toThrow(/registered twice/)
  })
})

describe("StageJournal: resume after the last completed stage", () => {
  it.effect("committed stages are skipped on a rerun and return their saved values; a new protocol is refused", () =>
    Effect.gen(function* () {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "journal-"))
      const runs: Array<string> = []
      const stage = (j: StageJournal.Journal, key: string, value: number) =>
        StageJournal.stage(
          j,
          key,
          Effect.sync(() => {
            runs.push(key)
            return value
          })
        )
      const first = yield* StageJournal.open(out, "seed-0")
      expect((yield* stage(first, "a", 1)).resumed).toBe(false)
      expect((yield* stage(first, "b", 0.1 + 0.2)).value).toBe(0.1 + 0.2)
      // a new invocation on the same folder: a and b are read back, c runs
      const second = yield* StageJournal.open(out, "seed-0")
      expect(yield* stage(second, "a", 99)).toEqual({ value: 1, resumed: true })
      expect(yield* stage(second, "b", 99)).toEqual({ value: 0.1 + 0.2, resumed: true })
      expect(yield* stage(second, "c", 3)).toEqual({ value: 3, resumed: false })
      expect(runs).toEqual(["a", "b", "c"])
      expect(JSON.parse(fs.readFileSync(path.join(out, "units", "seed-0", "state.json"), "utf8")).completed).toEqual([
        "a",
        "b",
        "c"
      ])
      // without a folder nothing persists
      const memory = yield* StageJournal.open(undefined, "seed-0")
      expect((yield* stage(memory, "a", 5)).resumed).toBe(false)
      yield* StageJournal.claimProtocol(out, { name: "p", seeds: [0] }, (j) => ({ ...(j as object), seeds: [] }))
      yield* StageJournal.claimProtocol(out, { name: "p", seeds: [0, 1] }, (j) => ({ ...(j as object), seeds: [] }))
      const refused = yield* Effect.flip(StageJournal.claimProtocol(out, { name: "q", seeds: [0] }))
      expect(refused._tag).toBe("RunMismatch")
    })
  )
})
