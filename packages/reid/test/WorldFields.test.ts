import { Synthetic } from "@reidfx/data"
import * as ProtocolFile from "../src/ProtocolFile.ts"
import * as RunConfig from "../src/RunConfig.ts"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as MdktProtocolFile from "../src/mdkt/MdktProtocolFile.ts"

// one schema of the synthetic world's fields for every dialect (lifelong Protocol, RunConfig, MdktProtocol)
const lifelong = (world: object) => ({
  name: "w",
  data: { split: { kind: "intraDomain", tasks: 2, unseenIdentities: 4, world: { kind: "synthetic", ...world } } },
  methods: ["bot-ft"],
  seeds: [0]
})
const mdkt = (world: object) => ({ name: "w", kind: "mdkt", data: { world: { kind: "synthetic", ...world } } })

describe("the synthetic world's fields: one schema in every dialect", () => {
  it("cameras: 12 fails at decode in all three dialects, naming the key path, the range and the value", async () => {
    const errors = await Promise.all([
      Effect.runPromise(Effect.flip(ProtocolFile.decode(lifelong({ cameras: 12 })))),
      Effect.runPromise(Effect.flip(MdktProtocolFile.decode(mdkt({ cameras: 12 })))),
      Effect.runPromise(Effect.flip(RunConfig.decode({ data: { cameras: 12 } })))
    ])
    expect(errors[0]!.message).toContain("at data.split.world.cameras: Expected a value between 2 and 9 (got 12)")
    expect(errors[1]!.message).toContain("at data.world.cameras: Expected a value between 2 and 9 (got 12)")
    expect(errors[2]!.message).toContain("at data.cameras: Expected a value between 2 and 9 (got 12)")
    // the bound is the world's own
    expect(Synthetic.WorldFields.maxCameras).toBe(9)
    // 9 decodes everywhere
    await Effect.runPromise(ProtocolFile.decode(lifelong({ cameras: 9 })))
    await Effect.runPromise(MdktProtocolFile.decode(mdkt({ cameras: 9 })))
    await Effect.runPromise(RunConfig.decode({ data: { cameras: 9 } }))
  })

  it("one difficulty default (medium) where a protocol world omits it, hard for reidfx train with or without a data section; the same presets are accepted everywhere", async () => {
    const p = await Effect.runPromise(ProtocolFile.decode(lifelong({})))
    const m = await Effect.runPromise(MdktProtocolFile.decode(mdkt({})))
    const r = await Effect.runPromise(RunConfig.decode({ data: { identities: 40 } }))
    const world = p.data.split.kind === "intraDomain" ? p.data.split.world : undefined
    expect(world !== undefined && "difficulty" in world ? world.difficulty : undefined).toBe("medium")
    expect(m.data.world.kind === "synthetic" ? m.data.world.difficulty : undefined).toBe("medium")
    // reidfx train: hard whether or not a data section is given (a --set data.x must not change the task)
    expect(r.data.difficulty).toBe("hard")
    expect((await Effect.runPromise(RunConfig.decode({}))).data.difficulty).toBe("hard")
    const trivial = await Effect.runPromise(ProtocolFile.decode(lifelong({ difficulty: "trivial" })))
    expect(trivial.data.split.kind).toBe("intraDomain")
  })
})
