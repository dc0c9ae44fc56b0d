import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import { Progress, RunConfig, StrongBaseline } from "./src/index.ts"
const set = process.argv.slice(2)
const program = Effect.gen(function*() {
  const config = yield* RunConfig.load({ set })
  const r = yield* StrongBaseline.run(config)
  console.log(StrongBaseline.table(r.untrained, r.trained))
  console.log(JSON.stringify(r.training), r.wallSeconds.toFixed(1))
}).pipe(Effect.provideService(Progress.Progress, Progress.terminal()), Effect.provide(Backend.layerWasm))
await Effect.runPromise(program)
process.exit(0)
