// Runs a protocol file seed by seed, writing each seed's raw result as JSON (for the 3-seed study).
import * as fs from "node:fs"
import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import * as MdktProtocolFile from "../src/MdktProtocolFile.ts"
import * as MdktRunner from "../src/MdktRunner.ts"
import { loadWorld } from "../src/VideoWorld.ts"
import { makeFrameLoader } from "../src/ClipData.ts"

const [file, seedsArg, out] = process.argv.slice(2)
const program = Effect.gen(function*() {
  const protocol0 = yield* MdktProtocolFile.parse(fs.readFileSync(file!, "utf8"), file)
  const protocol = seedsArg === undefined ? protocol0 : { ...protocol0, seeds: seedsArg.split(",").map(Number) }
  fs.mkdirSync(out!, { recursive: true })
  fs.writeFileSync(`${out}/protocol.json`, MdktProtocolFile.toJson(protocol))
  const t0 = performance.now()
  const log = (l: string) => Effect.sync(() => {
    const line = `[${((performance.now() - t0) / 1000).toFixed(0)}s] ${l}`
    console.log(line)
    fs.appendFileSync(`${out}/log.txt`, line + "\n")
  })
  const world = yield* loadWorld(protocol.data)
  const loader = makeFrameLoader(protocol.data.height, protocol.data.width)
  for (const seed of protocol.seeds) {
    const r = yield* MdktRunner.runSeed(protocol, world, seed, { log, loader })
    fs.writeFileSync(`${out}/seed-${seed}.json`, JSON.stringify(r, null, 1))
  }
  yield* log("done")
})
await Effect.runPromise(program.pipe(Effect.provide(Backend.layerWasm)))
process.exit(0)
