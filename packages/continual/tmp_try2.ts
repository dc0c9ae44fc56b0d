import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import { Lifelong, Progress, ProtocolFile, Table } from "./src/index.ts"
const protocol = await Effect.runPromise(ProtocolFile.make({
  name: "try",
  data: { split: { kind: "intraDomain", tasks: 2, unseenIdentities: 4, world: { kind: "synthetic", identities: 48, cameras: 3, imagesPerCamera: 2, seed: 3 } } },
  model: { stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  training: { epochs: Number(process.env.EPOCHS ?? 2), height: 16, width: 8, optimizer: { learningRate: 0.001, warmupEpochs: Number(process.env.WARM ?? 0) } },
  evaluation: { initial: false },
  methods: (process.env.METHODS ?? "joint").split(",") as never,
  seeds: [0]
}))
const { result } = await Effect.runPromise(Lifelong.run(protocol).pipe(Effect.provide(Progress.layerConsole({ tty: false })), Effect.provide(process.env.CPU ? Backend.layerCpu : Backend.layerWasm)))
console.log(Table.toText(result))
process.exit(0)
