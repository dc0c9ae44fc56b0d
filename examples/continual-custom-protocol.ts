/**
 * A lifelong ReID protocol composed in TypeScript: a custom method (DMML + DwoPP with a higher weight), a
 * user-defined stage (it reads the current task's data, which only the current task can), an evaluation
 * schedule, and the built-in baselines beside it. The same protocol could be written as a YAML file and run
 * with `reidfx run`; `ProtocolFile.toYaml` prints that file.
 *
 *     node --conditions=@reidfx/source examples/continual-custom-protocol.ts
 *     REIDFX_SMOKE=1 node --conditions=@reidfx/source examples/continual-custom-protocol.ts   # < 1 minute
 */
import { Progress, Stage, Table, TaskData } from "@reidfx/continual"
import { Backend } from "@reidfx/tensor"
import { Lifelong, ProtocolFile, Strategy } from "@reidfx/reid"
import { Effect, References } from "effect"

const smoke = process.env.REIDFX_SMOKE === "1"

// A method is data: a sampler and weighted terms. Here: DwoPP distilled twice as strongly, at T = 2.
const dwoppStrong = Strategy.withTerm(Strategy.renamed(Strategy.builtins.dwopp, "dwopp-x2", "DwoPP (w=2, T=2)"), {
  loss: "dwopp",
  temperature: 2,
  weight: 2
})

// A user-defined stage: counts the current task's training identities. Reading an earlier task's data here
// would fail with TaskDataClosed.
const census = Stage.make("census", (ctx) =>
  Effect.gen(function* () {
    const payload = (yield* TaskData.read(ctx.data, "census")) as {
      readonly data: { readonly identities: ReadonlyArray<number> }
    }
    return { task: ctx.task.name, identities: payload.data.identities.length }
  })
)

const program = Effect.gen(function* () {
  const protocol = yield* ProtocolFile.make({
    name: "custom-lifelong",
    description: "Three tasks; DMML-FT, DwoPP and a stronger DwoPP; evaluation after every task.",
    data: {
      split: {
        kind: "intraDomain",
        world: { kind: "synthetic", identities: smoke ? 48 : 150, cameras: 4, imagesPerCamera: smoke ? 2 : 4, seed: 1 },
        tasks: 3,
        unseenIdentities: smoke ? 6 : 15
      }
    },
    model: smoke ? { stemWidth: 8, widths: [8, 16], blocks: [1, 1] } : { widths: [16, 32, 64, 128] },
    training: smoke
      ? { epochs: 1, batchesPerEpoch: 2, height: 32, width: 16 }
      : { epochs: 6, optimizer: { learningRate: 0.001 } },
    stages: [Stage.train, Stage.custom("census"), Stage.evaluate, Stage.snapshot],
    evaluation: { initial: !smoke },
    methods: ["dmml-ft", "dwopp", dwoppStrong],
    seeds: [0]
  })
  console.log("The same protocol as a file:\n")
  console.log(ProtocolFile.toYaml(protocol))
  const { result } = yield* Lifelong.run(protocol, { stages: { census } })
  console.log(Table.toText(result))
  const censuses = result.units[0]!.custom
  console.log("\ncensus stage:", JSON.stringify(Object.values(censuses)))
})

await Effect.runPromise(
  program.pipe(
    Effect.provide(Progress.layerConsole({ tty: false })),
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.provide(Backend.layerFromConfig)
  )
)
process.exit(0)
