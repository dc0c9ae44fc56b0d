/**
 * The rehearsal and regularisation baselines in the lifelong engine, at toy sizes on the cpu backend: each is
 * selectable by name, runs every task, keeps its memory within budget, regularises from the second task, and
 * leaks no tensors.
 */
import { describe, expect, it } from "@effect/vitest"
import { Backend } from "@reidfx/tensor"
import { noLeaksEffect } from "@reidfx/tensor/testing"
import { Effect, Option } from "effect"
import { Runner, Stage } from "@reidfx/continual"
import { smallSteps, toyProtocol } from "./toyProtocol.ts"
import * as Lifelong from "../src/Lifelong.ts"
import type { ProtocolInput } from "../src/Protocol.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as ReidLearner from "../src/reid/ReidLearner.ts"

const input = (methods: ProtocolInput["methods"]): ProtocolInput =>
  toyProtocol("toy-baselines", methods, {
    training: smallSteps.training,
    evaluation: { ...smallSteps.evaluation, after: "lastTask" }
  })
const backend = Backend.layerCpu

describe("baselines in the lifelong engine", () => {
  it.effect(
    "replay, ewc, mas and si run by name; the memory stays within budget; the penalty term appears on the second task",
    () =>
      Effect.gen(function* () {
        const seen: Array<{ method: string; task: number; memory: number | undefined }> = []
        const probe = Stage.make("probe", (ctx) =>
          Effect.sync(() => {
            const { baselines } = ReidLearner.modelOf(ctx.model)
            seen.push({ method: ctx.method.name, task: ctx.task.index, memory: baselines?.memory?.size() })
          })
        )
        const p = yield* ProtocolFile.make({
          ...input(["replay", "ewc", "mas", "si"]),
          stages: [{ kind: "train" }, { kind: "custom", name: "probe" }, { kind: "evaluate" }]
        })
        const result = yield* Runner.run(p, { stages: { probe } }).pipe(Effect.provide(Lifelong.layer(p)))
        const formulas = (method: string) =>
          result.units
            .filter((u) => u.method === method)
            .flatMap((u) =>
              Object.keys(u.trained)
                .sort()
                .map((k) => u.trained[k]!.formula)
            )
        for (const name of ["ewc", "mas", "si"]) {
          const [first, second] = formulas(name)
          expect(first).not.toMatch(new RegExp(`\\* ${name}\\(`))
          expect(second).toMatch(new RegExp(`\\* ${name}\\(`))
        }
        // replay: 2 exemplars per identity after each task (12 train identities of the world: 6 per task)
        const replay = seen.filter((s) => s.method === "replay")
        expect(replay.map((r) => r.memory)).toEqual([12, 24])
        expect(result.cells.length).toBe(4 * 3) // after the last task: both seen test sets and the unseen set, per method
        for (const c of result.cells) expect(Number.isFinite(c.metrics.mAP)).toBe(true)
      }).pipe(Effect.provide(backend)),
    120_000
  )

  it.effect(
    "a run of every baseline leaks no tensors",
    () =>
      Effect.gen(function* () {
        const p = yield* ProtocolFile.make(input(["ewc", "si"]))
        yield* noLeaksEffect(Runner.run(p).pipe(Effect.provide(Lifelong.layer(p)), Effect.asVoid))
      }).pipe(Effect.provide(backend)),
    120_000
  )

  it.effect("a protocol declares the memory and the regulariser in full", () =>
    Effect.gen(function* () {
      const p = yield* ProtocolFile.make(
        input([
          {
            name: "replay-random",
            sampler: { kind: "pk", identities: 4, instances: 2 },
            terms: [{ loss: "crossEntropy" }],
            rehearsal: { budget: { kind: "total", size: 8 }, selection: "random" },
            regularizer: { kind: "mas" }
          }
        ])
      )
      const m = p.methods[0]!
      expect(typeof m === "object" && !("use" in m) && m.rehearsal).toEqual({
        budget: { kind: "total", size: 8 },
        selection: "random"
      })
      expect(typeof m === "object" && !("use" in m) && m.regularizer).toEqual({ kind: "mas", lambda: 1, alpha: 0.5 })
      const bad = yield* Effect.flip(
        ProtocolFile.make(
          input([
            {
              name: "x",
              sampler: { kind: "pk" },
              terms: [{ loss: "crossEntropy" }],
              rehearsal: { budget: { kind: "total", size: 0 }, selection: "herding" }
            }
          ])
        )
      )
      expect(bad._tag).toBe("ProtocolDecodeError")
      expect(Option.some(bad.message).pipe(Option.getOrElse(() => ""))).toMatch(/rehearsal/)
    })
  )
})
