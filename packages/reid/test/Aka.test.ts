import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Backend, RandomStream } from "@reidfx/tensor"
import { noLeaks } from "@reidfx/tensor/testing"
import * as tf from "@tensorflow/tfjs-core"
import { Effect } from "effect"
import * as fc from "fast-check"
import { Runner, Stage } from "@reidfx/continual"
import { toyProtocol } from "./toyProtocol.ts"
import * as Aka from "../src/reid/Aka.ts"
import * as Lifelong from "../src/Lifelong.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"
import { aka as akaTerm } from "../src/terms/Aka.ts"

describe("AKA", () => {
  it.effect("uses the cpu backend", () => Effect.asVoid(Backend.Backend).pipe(Effect.provide(Backend.layerCpu)))

  it("the cross graph is a distribution over the batch for each vertex (softmax over axis 0)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 12, maxLength: 12 }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        (xs, sigma) => {
          const columns = noLeaks(() =>
            tf.tidy(() => {
              const f = tf.tensor2d(xs, [3, 4])
              const v = tf.tensor2d([1, 0, 0, 0, 0, 1, 0, 0], [2, 4])
              return Array.from(tf.sum(Aka.crossAdjacency(f, v, sigma), 0).dataSync())
            })
          )
          return columns.length === 2 && columns.every((c) => Math.abs(c - 1) < 1e-5)
        }
      ),
      { numRuns: 30 }
    )
  })

  it("the learned self graph has ones on its diagonal and values in (0, 1); stability is scale-free and 0 for the same vertices", () => {
    const out = Effect.runSync(
      Effect.scoped(
        Effect.gen(function* () {
          const g = yield* Aka.makeGraph(8, 4, RandomStream.fromSeed(2, "g"))
          return tf.tidy(() => {
            const x = tf.tensor2d([1, 2, 3, 4, -1, 0, 1, 0, 0.5, 0.5, 0, 2], [3, 4])
            const a = Aka.selfAdjacency(x, g).arraySync()
            const same = Aka.stabilityLoss(g.vertices, tf.mul(g.vertices, 3) as tf.Tensor2D).dataSync()[0]!
            const other = Aka.stabilityLoss(g.vertices, tf.reverse(g.vertices, 0) as tf.Tensor2D).dataSync()[0]!
            const z = Aka.propagate(x, g, 2).shape
            return { a, same, other, z }
          })
        })
      )
    )
    for (let i = 0; i < 3; i++) {
      expect(out.a[i]![i]).toBe(1)
      for (let j = 0; j < 3; j++) if (i !== j) expect(out.a[i]![j]!).toBeGreaterThan(0)
    }
    expect(out.same).toBeCloseTo(0, 6)
    expect(out.other).toBeGreaterThan(0)
    expect(out.z).toEqual([3, 4])
  })

  it.effect("the aka method runs end to end: plasticity from the first task, stability and LwF from the second", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make(toyProtocol("toy-aka", ["aka"]))
      const result = yield* Runner.run(p).pipe(Effect.provide(Lifelong.layer(p)))
      const trained = result.units[0]!.trained
      expect(trained["task-0/0-train"]!.formula).toContain("akaPlasticity")
      expect(trained["task-0/0-train"]!.formula).not.toContain("akaStability")
      expect(trained["task-1/0-train"]!.formula).toContain("akaStability")
      expect(trained["task-1/0-train"]!.formula).toContain("lwf")
      expect(Number.isFinite(trained["task-1/0-train"]!.finalLoss)).toBe(true)
    }).pipe(Effect.provide(Backend.layerCpu))
  )

  it.effect("the knowledge graph trains, and survives an interruption (saved and restored with the model)", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make({
        ...toyProtocol("toy-aka-resume", ["aka"]),
        stages: [
          { kind: "custom", name: "probe" },
          { kind: "train" },
          { kind: "snapshot" },
          { kind: "custom", name: "crash" },
          { kind: "evaluate" }
        ]
      })
      const vertices: Array<Array<number>> = []
      const probe = Stage.make("probe", (ctx) =>
        Effect.sync(() => {
          vertices.push(Array.from(ReidLearner.stateOf(ReidLearner.modelOf(ctx.model), akaTerm)!.vertices.dataSync()))
          return null
        })
      )
      let failAt: number | undefined = 1
      const crash = Stage.make("crash", (ctx) =>
        ctx.task.index === failAt ? Effect.fail("power cut" as const) : Effect.succeed(null)
      )
      const layers = Lifelong.layer(p)
      failAt = undefined
      const reference = yield* Runner.run(p, { stages: { probe, crash } }).pipe(Effect.provide(layers))
      expect(vertices[1]).not.toEqual(vertices[0]) // the first task trained the graph
      const out = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-aka-")))
      failAt = 1
      const first = yield* Effect.exit(Runner.run(p, { out, stages: { probe, crash } }).pipe(Effect.provide(layers)))
      expect(first._tag).toBe("Failure")
      failAt = undefined
      const resumed = yield* Runner.run(p, { out, stages: { probe, crash } }).pipe(Effect.provide(layers))
      expect(resumed.cells).toEqual(reference.cells)
      yield* Effect.promise(() => fs.rm(out, { recursive: true, force: true }))
    }).pipe(Effect.provide(Backend.layerCpu))
  )
})
