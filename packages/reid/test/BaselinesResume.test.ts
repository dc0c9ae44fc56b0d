/**
 * Rehearsal and regulariser runs resume: the exemplar memory (as data: identities, cameras, domains, image keys
 * and the rendered pixels) and the regulariser's state (EWC's anchors and Fisher, MAS's importance, SI's W and
 * Omega) are saved with each checkpoint (`baselines/Persistence.ts`), so a run interrupted after a completed stage
 * ends with the numbers of an uninterrupted run, and a finished run folder reprints its results. Toy sizes on the
 * cpu backend; the state's file format is checked on hand-made states.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import type { Item } from "@reidfx/data"
import { Backend, RandomStream } from "@reidfx/tensor"
import { Effect, Exit } from "effect"
import * as Lifelong from "../src/Lifelong.ts"
import { Progress as Progresses, Runner } from "@reidfx/continual"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as Persistence from "../src/baselines/Persistence.ts"
import * as Baselines from "../src/baselines/Strategy.ts"
import type { MethodSpec } from "../src/Protocol.ts"

const ce = [{ loss: "crossEntropy" as const }]
const sampler = { kind: "pk" as const, identities: 3, instances: 2 }
const input: ProtocolInput = {
  name: "toy-baselines-resume",
  data: {
    split: {
      kind: "intraDomain",
      world: { kind: "synthetic", identities: 24, cameras: 3, imagesPerCamera: 2, seed: 3 },
      tasks: 2,
      unseenIdentities: 4
    }
  },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: 1, batchesPerEpoch: 2, height: 16, width: 8, optimizer: { learningRate: 0.01 } },
  evaluation: { initial: false, batchSize: 64 },
  methods: [
    {
      name: "replay-ewc",
      sampler,
      terms: ce,
      rehearsal: { budget: { kind: "perIdentity", size: 2 }, selection: "herding" },
      regularizer: { kind: "ewc", lambda: 100, mode: "separate" }
    },
    {
      name: "random-si",
      sampler,
      terms: ce,
      rehearsal: { budget: { kind: "total", size: 10 }, selection: "random" },
      regularizer: { kind: "si", lambda: 1, clipTo: 10 }
    },
    "mas"
  ],
  seeds: [0]
}

const tmp = (prefix: string) => Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), prefix)))

describe("rehearsal and regulariser runs resume", () => {
  it.effect(
    "interrupted when task 2's training starts, replay+EWC, random memory+SI and MAS resume to the uninterrupted results; a finished folder reprints them",
    () =>
      Effect.gen(function* () {
        const protocol = yield* ProtocolFile.make(input)
        const reference = yield* Runner.run(protocol).pipe(Effect.provide(Lifelong.layer(protocol)))
        const out = yield* tmp("reidfx-baselines-resume-")
        // the cut: each unit is interrupted as its task-2 training starts (task 1 trained, evaluated, snapshotted)
        let cuts = 0
        const cut = {
          emit: (event: Progresses.ProgressEvent) =>
            event._tag === "StageStarted" && event.task === "task-2" && event.stage === "train"
              ? Effect.suspend(() => {
                  cuts++
                  return Effect.interrupt
                })
              : Effect.void
        }
        for (let unit = 0; unit < 3; unit++) {
          const first = yield* Effect.exit(
            Runner.run(protocol, { out }).pipe(
              Effect.provide(Lifelong.layer(protocol)),
              Effect.provideService(Progresses.Progress, cut)
            )
          )
          assert.isTrue(Exit.isFailure(first))
        }
        expect(cuts).toBe(3)
        const saved = (yield* Effect.promise(() => fs.readdir(out, { recursive: true }))).map(String)
        expect(saved.filter((f) => f.endsWith(path.join("baselines", "state.json")))).not.toHaveLength(0)
        const resumed = yield* Runner.run(protocol, { out }).pipe(Effect.provide(Lifelong.layer(protocol)))
        expect(resumed.cells).toEqual(reference.cells)
        for (const u of resumed.units) {
          const r = reference.units.find((x) => x.method === u.method)!
          // the same losses and terms (wall seconds aside)
          const losses = (t: typeof u.trained) =>
            Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { ...v, seconds: 0 }]))
          expect(losses(u.trained)).toEqual(losses(r.trained))
        }
        // a finished run folder loads every unit's state again and reprints the same results
        const again = yield* Runner.run(protocol, { out }).pipe(Effect.provide(Lifelong.layer(protocol)))
        expect(again.cells).toEqual(reference.cells)
        yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
      }).pipe(Effect.provide(Backend.layerCpu)),
    240_000
  )
})

const rendered = (key: string, id: number, shade: number): Item.Item => ({
  id,
  cam: id % 3,
  domain: "toy",
  source: {
    _tag: "Rendered",
    key,
    render: (h, w) => ({
      height: h,
      width: w,
      data: Uint8Array.from({ length: h * w * 3 }, (_, i) => (shade + i) % 256)
    })
  }
})
const file = (p: string, id: number): Item.Item => ({
  id,
  cam: 1,
  tracklet: 4,
  frame: 2,
  source: { _tag: "File", path: p }
})

const method = (regularizer: MethodSpec["regularizer"], memory = true): MethodSpec => ({
  name: "m",
  sampler: { kind: "pk", identities: 3, instances: 2 },
  terms: [{ loss: "crossEntropy", labelSmoothing: 0, weight: 1 }],
  joint: false,
  ...(memory ? { rehearsal: { budget: { kind: "perIdentity", size: 2 }, selection: "random" } } : {}),
  ...(regularizer === undefined ? {} : { regularizer })
})

const f32 = (xs: ReadonlyArray<number>) => Float32Array.from(xs)

describe("the baseline state's files", () => {
  it.effect("memory (rendered and file exemplars) and EWC entries round-trip exactly; pixels are the 16x8 render", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const spec = method({ kind: "ewc", lambda: 1, mode: "separate", decay: 1 })
        const state = yield* Baselines.make(spec)
        state.memory!.add(
          [
            { identity: 7, items: [rendered("a", 7, 3), rendered("b", 7, 200)] },
            { identity: 2, items: [file("/data/x.jpg", 2)] }
          ],
          RandomStream.fromSeed(1, "memory")
        )
        state.state = {
          entries: [
            { anchor: new Map([["w", f32([1.5, -2])]]), importance: new Map([["w", f32([0.25, 1e-30])]]) },
            { anchor: new Map([["w/b", f32([3])]]), importance: new Map([["w/b", f32([Math.PI])]]) }
          ]
        }
        const dir = path.join(yield* tmp("reidfx-baselines-state-"), "baselines")
        yield* Persistence.save(state, dir, { height: 16, width: 8 })
        const back = yield* Baselines.make(spec)
        yield* Persistence.load(back, dir)
        const before = state.memory!.byIdentity()
        const after = back.memory!.byIdentity()
        expect(after.map(([id, xs]) => [id, xs.map(Baselines.itemKey)])).toEqual(
          before.map(([id, xs]) => [id, xs.map(Baselines.itemKey)])
        )
        const strip = (x: Item.Item) => ({ ...x, source: x.source._tag })
        expect(after.flatMap(([, xs]) => xs.map(strip))).toEqual(before.flatMap(([, xs]) => xs.map(strip)))
        for (const [i, [, xs]] of after.entries()) {
          for (const [j, x] of xs.entries()) {
            const y = before[i]![1][j]!
            if (x.source._tag === "Rendered" && y.source._tag === "Rendered")
              expect(x.source.render(16, 8).data).toEqual(y.source.render(16, 8).data)
            else expect(x.source).toEqual(y.source)
          }
        }
        expect(back.state).toEqual(state.state)
        // the bytes: 3 rendered-or-file exemplars, of which the rendered ones take 16 * 8 * 3 bytes each
        const rendered16x8 = before.flatMap(([, xs]) => xs).filter((x) => x.source._tag === "Rendered").length
        expect((yield* Effect.promise(() => fs.stat(path.join(dir, "pixels.bin")))).size).toBe(
          rendered16x8 * 16 * 8 * 3
        )
        expect((yield* Effect.promise(() => fs.stat(path.join(dir, "arrays.bin")))).size).toBe(4 * (2 + 2 + 1 + 1))
      })
    )
  )

  it.effect("MAS and SI states round-trip (SI keeps W, Omega and the anchor; its path integral restarts)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const mas = yield* Baselines.make(method({ kind: "mas", lambda: 1, alpha: 0.5 }, false))
        mas.state = { anchor: new Map([["k", f32([1, 2, 3])]]), importance: new Map([["k", f32([0, 0.5, 7])]]) }
        const dir = yield* tmp("reidfx-baselines-state-")
        yield* Persistence.save(mas, path.join(dir, "mas"), { height: 4, width: 2 })
        const masBack = yield* Baselines.make(method({ kind: "mas", lambda: 1, alpha: 0.5 }, false))
        yield* Persistence.load(masBack, path.join(dir, "mas"))
        expect(masBack.state).toEqual(mas.state)
        expect(masBack.memory).toBeUndefined()

        const siSpec = method({ kind: "si", lambda: 1, damping: 1e-7, c: 1, clipTo: 0.001 }, false)
        const si = yield* Baselines.make(siSpec)
        const s = si.state as { cumulative: Map<string, Float32Array>; trajectory: Map<string, Float32Array> }
        Object.assign(si.state as object, {
          anchor: new Map([["k", f32([4])]]),
          importance: new Map([["k", f32([0.001])]])
        })
        s.cumulative.set("k", f32([-0.5]))
        s.trajectory.set("k", f32([9]))
        yield* Persistence.save(si, path.join(dir, "si"), { height: 4, width: 2 })
        const siBack = yield* Baselines.make(siSpec)
        yield* Persistence.load(siBack, path.join(dir, "si"))
        expect(siBack.state).toMatchObject({
          anchor: new Map([["k", f32([4])]]),
          importance: new Map([["k", f32([0.001])]]),
          cumulative: new Map([["k", f32([-0.5])]]),
          start: undefined
        })
        expect((siBack.state as { trajectory: Map<string, Float32Array> }).trajectory.size).toBe(0)
      })
    )
  )

  it.effect("a missing folder, another method's state and a truncated pixel file are BaselineStateUnreadable", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tmp("reidfx-baselines-state-")
        const replay = yield* Baselines.make(method(undefined))
        const missing = yield* Effect.flip(Persistence.load(replay, path.join(dir, "none")))
        expect(missing._tag).toBe("BaselineStateUnreadable")
        expect(missing.message).toMatch(/state\.json.*--fresh/)

        replay.memory!.add([{ identity: 1, items: [rendered("a", 1, 0)] }], RandomStream.fromSeed(1, "memory"))
        yield* Persistence.save(replay, path.join(dir, "replay"), { height: 4, width: 2 })
        const ewc = yield* Baselines.make(method({ kind: "ewc", lambda: 1, mode: "online", decay: 1 }))
        const other = yield* Effect.flip(Persistence.load(ewc, path.join(dir, "replay")))
        expect(other.reason).toBe("the regulariser saved is none, the method's ewc")

        yield* Effect.promise(() => fs.writeFile(path.join(dir, "replay", "pixels.bin"), new Uint8Array(5)))
        const fresh = yield* Baselines.make(method(undefined))
        const truncated = yield* Effect.flip(Persistence.load(fresh, path.join(dir, "replay")))
        expect(truncated.reason).toBe("the pixels of a lie beyond pixels.bin")
        // nothing was restored from the bad folder
        expect(fresh.memory!.size()).toBe(0)
      })
    )
  )
})
