import { Effect } from "effect"
import * as RunConfig from "./src/RunConfig.ts"
const show = (x: unknown) => Effect.runPromise(Effect.result(RunConfig.decode(x))).then((r) => console.log(r._tag === "Success" ? JSON.stringify(r.success) : r.failure.message))
await show({})
await show({ data: { identites: 5, height: 3 }, optimizer: { kind: "adamw", lr: 1 }, model: { backbone: { kind: "resnet99" } }, epochs: 0 })
await show({ schedule: { decay: { kind: "cosine", foo: 1 } }, model: { head: { classes: 5 } } })
const o = await Effect.runPromise(RunConfig.override({}, ["data.identities=40", "optimizer={kind: sgd, momentum: 0.8}", "name=x"]))
console.log(JSON.stringify(o))
