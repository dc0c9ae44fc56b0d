import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import type { Ledger, RunStore } from "@reidfx/continual"
import { assert, describe, it as itBase, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Store from "../src/Store.ts"
import * as Sweep from "../src/Sweep.ts"
import * as SweepReport from "../src/SweepReport.ts"
import * as UnitStore from "../src/UnitStore.ts"

const protocols = path.join(import.meta.dirname, "..", "..", "..", "protocols")
const dir = fs.mkdtempSync(path.join(tmpdir(), "reidfx-sweep-"))

const spec = (extra: Record<string, unknown> = {}): Sweep.SweepSpec =>
  ({ name: "grid", protocols: ["lifelong-tiny.yaml"], ...extra }) as unknown as Sweep.SweepSpec

describe("a sweep declaration", () => {
  it.effect("is protocols x parameter values x seeds x methods, in the order of reidfx run, with stable ids", () =>
    Effect.gen(function* () {
      const input = spec({ methods: ["dwopp", "bot-ft"], seeds: [3, 5], parameters: { "training.epochs": [1, 2] } })
      const sweep = yield* Sweep.make(input, { baseDir: protocols })
      assert.deepStrictEqual(
        sweep.variants.map((v) => v.name),
        ["tiny[training.epochs=1]", "tiny[training.epochs=2]"]
      )
      assert.deepStrictEqual(
        sweep.variants.map((v) => v.protocol.training.epochs),
        [1, 2]
      )
      // methods in the protocol's order (bot-ft, dwopp), seeds outer, methods inner
      assert.deepStrictEqual(
        sweep.units.map((u) => `${u.variant} ${u.seed} ${u.method}`),
        [1, 2].flatMap((e) =>
          [3, 5].flatMap((s) => ["bot-ft", "dwopp"].map((m) => `tiny[training.epochs=${e}] ${s} ${m}`))
        )
      )
      assert.deepStrictEqual(
        sweep.units.map((u) => u.ordinal),
        [0, 1, 2, 3, 4, 5, 6, 7]
      )
      const again = yield* Sweep.make(input, { baseDir: protocols })
      assert.strictEqual(again.id, sweep.id)
      const other = yield* Sweep.make(spec({ seeds: [3] }), { baseDir: protocols })
      assert.notStrictEqual(other.id, sweep.id)
      assert.strictEqual(other.units.length, 2)
    })
  )

  it("combinations multiply parameters; none gives one empty combination", () => {
    assert.deepStrictEqual(Sweep.combinations({}), [[]])
    assert.deepStrictEqual(Sweep.combinations({ a: [1, 2], b: ["x", "y", "z"] }).length, 6)
    assert.deepStrictEqual(Sweep.combinations({ a: [1, 2], b: ["x"] }), [
      [
        ["a", 1],
        ["b", "x"]
      ],
      [
        ["a", 2],
        ["b", "x"]
      ]
    ])
  })

  it.effect("an unknown key, an unknown method and a bad parameter value are errors naming them", () =>
    Effect.gen(function* () {
      const unknownKey = yield* Effect.flip(Sweep.make({ ...spec(), seed: [1] } as Sweep.SweepSpec))
      assert.include(unknownKey.message, "seed")
      const unknownMethod = yield* Effect.flip(Sweep.make(spec({ methods: ["lwf"] }), { baseDir: protocols }))
      assert.include(unknownMethod.message, "lwf not in protocol tiny")
      const badValue = yield* Effect.flip(
        Sweep.make(spec({ parameters: { "training.epochs": [0] } }), { baseDir: protocols })
      )
      assert.include(badValue.message, "parameters")
      assert.include(badValue.message, "epochs")
      const missing = yield* Effect.flip(Sweep.make(spec({ protocols: ["nope.yaml"] }), { baseDir: protocols }))
      assert.include(missing.message, "cannot read")
    })
  )
})

const itSkip = (name: string, _f: () => Effect.Effect<void, unknown, never>) => itBase.skip(name, () => {})

const layout: Ledger.Layout = {
  tasks: 1,
  testSets: [{ name: "task-1", kind: "seen", task: 0, queries: 1, gallery: 1 }]
}
const resultOf = (method: string, seed: number, mAP: number): UnitStore.UnitResult => ({
  layout,
  method: { name: method, label: method, formula: "", sampler: "", joint: false },
  state: {
    method,
    seed,
    completed: ["t0/0/train"],
    cells: [{ method, seed, after: 0, testSet: "task-1", metrics: { mAP, mINP: mAP, cmc: [mAP] } as never }],
    trained: {},
    custom: {},
    model: undefined,
    oldModel: undefined,
    seconds: 1
  } satisfies RunStore.UnitState,
  computeSeconds: 1
})

// PostgreSQL runs where a server is given (CI starts one from Debian's postgresql package, see .ci/run).
const pgUrl = process.env.REIDFX_TEST_PG_URL
const stores: ReadonlyArray<readonly [string, string | undefined]> = [
  ["SQLite", `sqlite:${path.join(dir, "store.db")}`],
  ["PostgreSQL", pgUrl]
]
if (pgUrl === undefined) console.log("sweep store tests: PostgreSQL skipped (no server: REIDFX_TEST_PG_URL is not set)")

describe.each(stores)("the unit store (%s)", (_, url) => {
  const layer = Store.layer(url ?? "sqlite:unused.db")
  const it = url === undefined ? { effect: itSkip } : itBase

  it.effect("submitting twice adds nothing; a unit completes once; stale attempts are fenced off", () =>
    Effect.gen(function* () {
      const sweep = yield* Sweep.make(spec({ name: `grid-${Date.now()}` }), { baseDir: protocols })
      assert.isTrue(yield* UnitStore.submit(sweep, dir))
      assert.isFalse(yield* UnitStore.submit(sweep, dir))
      const rows = yield* UnitStore.units(sweep.id)
      assert.deepStrictEqual(
        rows.map((r) => [r.method, r.seed, r.status, r.attempts]),
        [
          ["bot-ft", 0, "pending", 0],
          ["dwopp", 0, "pending", 0],
          ["bot-ft", 1, "pending", 0],
          ["dwopp", 1, "pending", 0]
        ]
      )
      const id = rows[0]!.id
      assert.strictEqual(yield* UnitStore.start(id, "a"), 1)
      assert.strictEqual(yield* UnitStore.start(id, "b"), 2) // the unit moved to runner b
      yield* UnitStore.stageDone(id, 1, "task-1 train") // the old attempt: ignored
      yield* UnitStore.stageDone(id, 2, "task-1 train")
      assert.strictEqual((yield* UnitStore.unit(id))!.stages, 1)
      yield* UnitStore.fail(id, 1, "old attempt died") // ignored: not the current attempt
      assert.strictEqual((yield* UnitStore.unit(id))!.status, "running")
      assert.isTrue(yield* UnitStore.finish(id, resultOf("bot-ft", 0, 0.5)))
      assert.isFalse(yield* UnitStore.finish(id, resultOf("bot-ft", 0, 0.9)))
      yield* UnitStore.fail(id, 2, "late failure")
      assert.strictEqual(yield* UnitStore.start(id, "c"), undefined)
      const done = (yield* UnitStore.unit(id))!
      assert.strictEqual(done.status, "done")
      assert.strictEqual(done.runner, "b")
      assert.strictEqual(done.result?.state.cells[0]?.metrics.mAP, 0.5)
    }).pipe(Effect.provide(layer))
  )

  it.effect("a partial sweep gives a partial report: finished units only, in sweep order", () =>
    Effect.gen(function* () {
      const sweep = yield* Sweep.make(spec({ name: `partial-${Date.now()}` }), { baseDir: protocols })
      yield* UnitStore.submit(sweep, dir)
      const [a, b, c] = (yield* UnitStore.units(sweep.id)).map((r) => r.id)
      for (const [id, method, seed, mAP] of [
        [c!, "bot-ft", 1, 0.3],
        [a!, "bot-ft", 0, 0.2]
      ] as const) {
        yield* UnitStore.start(id, "r")
        yield* UnitStore.finish(id, resultOf(method, seed, mAP))
      }
      yield* UnitStore.start(b!, "r")
      const [variant] = SweepReport.fromUnits(yield* UnitStore.units(sweep.id))
      assert.strictEqual(variant!.finished, 2)
      assert.strictEqual(variant!.units, 4)
      assert.deepStrictEqual(
        variant!.result!.methods.map((m) => m.name),
        ["bot-ft"]
      )
      assert.deepStrictEqual(variant!.result!.seeds, [0, 1])
      assert.deepStrictEqual(
        variant!.result!.cells.map((x) => [x.seed, x.metrics.mAP]),
        [
          [0, 0.2],
          [1, 0.3]
        ]
      )
      assert.include(SweepReport.toText(SweepReport.fromUnits(yield* UnitStore.units(sweep.id))), "tiny (2/4 units)")
    }).pipe(Effect.provide(layer))
  )
})

describe("store URLs", () => {
  it.effect("a malformed store URL is a typed error saying what is expected", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(Store.parseUrl("mysql://host/db"))
      assert.strictEqual(e._tag, "StoreUnavailable")
      assert.include(e.message, "sqlite:<file>")
      assert.deepStrictEqual(yield* Store.parseUrl("sqlite:/tmp/x.db"), { _tag: "Sqlite", filename: "/tmp/x.db" })
      assert.strictEqual((yield* Store.parseUrl("postgresql://u@h/db"))._tag, "Postgres")
      assert.strictEqual(Store.defaultWork({ _tag: "Sqlite", filename: "/tmp/x.db" }), "/tmp/x.work")
      assert.strictEqual(
        Store.redact("postgres://reidfx:s3cret@db.lab:5432/reidfx"),
        "postgres://reidfx:***@db.lab:5432/reidfx"
      )
      assert.strictEqual(Store.redact("postgres://reidfx@db.lab/reidfx"), "postgres://reidfx@db.lab/reidfx")
    })
  )
})
