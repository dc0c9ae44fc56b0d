import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import * as MdktProtocolFile from "../src/MdktProtocolFile.ts"
import * as MdktRunner from "../src/MdktRunner.ts"

const input = {
  name: "smoke",
  kind: "mdkt",
  data: { world: { kind: "synthetic", trainIdentities: 16, testIdentities: 16, frames: 8, trackletsPerCamera: 2 }, height: 64, width: 32 },
  teacher: { epochs: Number(process.env.E1 ?? 1), batchesPerEpoch: Number(process.env.B ?? 5) },
  student: { epochs: Number(process.env.E2 ?? 1), batchesPerEpoch: Number(process.env.B ?? 5) },
  tables: { table1: [{ label: "ALL", terms: ["tr", "mkd", "pd", "mtcl"] }], table2: [{ label: "frozen", mode: "frozen" }] },
  seeds: [0]
}
const program = Effect.gen(function*() {
  const protocol = yield* MdktProtocolFile.decode(input)
  const t0 = performance.now()
  const run = yield* MdktRunner.run(protocol, { log: (l) => Effect.sync(() => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${l}`)) })
  console.log(JSON.stringify(run.seeds[0]!.configurations.map((c) => ({ key: c.key, s: c.student, sec: c.seconds, cps: c.training.clipsPerSecond })), null, 0))
})
await Effect.runPromise(program.pipe(Effect.provide(Backend.layerWasm)))
process.exit(0)
