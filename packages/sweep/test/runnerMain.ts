/**
 * A runner process for the loopback tests: `node --conditions=@reidfx/source runnerMain.ts <store> <port>`.
 * Short lock timings so a killed runner's unit moves within seconds (20 s: longer than any synchronous stretch of
 * the tiny protocol on a heavily loaded machine, during which a runner cannot refresh its locks; at 4 s and
 * 10 s, runs at load average 20 on 2 cores saw a live runner's unit taken over).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Backend } from "@reidfx/tensor"
import { Layer, References } from "effect"
import * as SweepCluster from "../src/SweepCluster.ts"

const [store, port] = process.argv.slice(2)
const layer = SweepCluster.runnerLayer({
  store: store!,
  host: "127.0.0.1",
  port: Number(port),
  name: `runner-${port}`,
  timing: {
    lockExpiration: "20 seconds",
    lockRefreshInterval: "1 second",
    pollInterval: "200 millis",
    shardLockExpiration: "20 seconds",
    shardLockRefreshInterval: "1 second"
  },
  log: (line) => process.stdout.write(`${line}\n`)
}).pipe(Layer.provide([Backend.layerCpu, Layer.succeed(References.MinimumLogLevel, "Warn")]))
NodeRuntime.runMain(Layer.launch(layer))
