import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Demo from "../src/Demo.ts"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as QuickDemo from "../src/QuickDemo.ts"

describe("the quick demo", () => {
  it.effect(
    "is the main demo's protocol cut down: its training settings, 2 domains, 3 methods, 1 seed, no pretraining",
    () =>
      Effect.gen(function* () {
        const quick = yield* ProtocolFile.make(QuickDemo.protocol)
        const full = yield* ProtocolFile.make(Demo.protocol)
        expect(quick.seeds).toEqual([0])
        expect(quick.methods).toEqual(["joint", "bot-ft", "dwopp"])
        expect(quick.data.split.kind === "interDomain" ? quick.data.split.sequence.map((d) => d.name) : []).toEqual([
          "market",
          "duke"
        ])
        expect(quick.pretraining).toBeUndefined()
        expect({ ...quick.training, epochs: 0, height: 0, width: 0 }).toEqual({
          ...full.training,
          epochs: 0,
          height: 0,
          width: 0
        })
        expect(quick.evaluation).toEqual(full.evaluation)
        expect(quick.stages).toEqual(full.stages)
      })
  )
})
