import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import { Lifelong, Progress, ProtocolFile, Table } from "./src/index.ts"
const methods = (process.env.METHODS ?? "bot-ft").split(",")
const protocol = await Effect.runPromise(ProtocolFile.make({
  name: "try",
  data: { split: { kind: "intraDomain", tasks: Number(process.env.TASKS ?? 2), unseenIdentities: 10, world: { kind: "synthetic", identities: Number(process.env.IDS ?? 80), cameras: 4, imagesPerCamera: 4, seed: 7 } } },
  training: { epochs: Number(process.env.EPOCHS ?? 2), optimizer: { learningRate: 0.001 } },
  methods: methods as never,
  seeds: [0]
}))
const t0 = Date.now()
const { result } = await Effect.runPromise(Lifelong.run(protocol, { out: process.env.OUT }).pipe(Effect.provide(Progress.layerConsole({ tty: false })), Effect.provide(Backend.layerWasm)))
console.log(Table.toText(result))
console.log("wall", (Date.now() - t0) / 1000)
process.exit(0)
