/**
 * A runner process for the loopback tests: `node --conditions=@reidfx/source runnerMain.ts <store> <port>`.
 * Short lock timings so a killed runner's unit moves within seconds.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Backend } from "@reidfx/tensor"
import { Layer } from "effect"
import * as SweepCluster from "../src/SweepCluster.ts"

const [store, port] = process.argv.slice(2)
const layer = SweepCluster.runnerLayer({
  store: store!,
  host: "127.0.0.1",
  port: Number(port),
  name: `runner-${port}`,
  timing: { lockExpiration: "4 seconds", lockRefreshInterval: "1 second", pollInterval: "200 millis", shardLockExpiration: "4 seconds", shardLockRefreshInterval: "1 second" },
  log: (line) => process.stdout.write(`${line}\n`)
}).pipe(Layer.provide(Backend.layerCpu))
NodeRuntime.runMain(Layer.launch(layer))
