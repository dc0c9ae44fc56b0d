// Assembles the per-seed JSON of experiment.ts into an MdktRun and writes/prints its reports.
import * as fs from "node:fs"
import { Effect } from "effect"
import * as AblationTable from "../src/AblationTable.ts"
import { resolveRows, seedTable1, seedTable2 } from "../src/MdktProtocol.ts"
import * as MdktProtocolFile from "../src/MdktProtocolFile.ts"
import * as MdktReport from "../src/MdktReport.ts"
import type { MdktRun, SeedResult } from "../src/MdktRunner.ts"
import { loadWorld } from "../src/VideoWorld.ts"

const [dir, out] = process.argv.slice(2)
const raw = JSON.parse(fs.readFileSync(`${dir}/protocol.json`, "utf8"))
delete raw.evaluation?.ranks
const seeds: Array<SeedResult> = fs.readdirSync(dir!).filter((f) => /^seed-\d+\.json$/.test(f)).sort().map((f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8")))
const program = Effect.gen(function*() {
  const protocol0 = yield* MdktProtocolFile.decode(raw)
  const protocol = { ...protocol0, seeds: seeds.map((s) => s.seed) }
  const world = yield* loadWorld(protocol.data)
  const run: MdktRun = {
    protocol,
    world: { name: world.name, objects: world.objects, train: world.train.length, query: world.query.length, gallery: world.gallery.length, classes: new Set(world.train.map((t) => t.id)).size },
    table1: resolveRows(protocol.tables.table1, protocol.student, seedTable1),
    table2: resolveRows(protocol.tables.table2, protocol.student, seedTable2),
    seeds,
    seconds: seeds.reduce((a, s) => a + s.seconds, 0)
  }
  console.log(AblationTable.toText(run))
  for (const s of seeds) console.log(`seed ${s.seed}: ${s.seconds.toFixed(0)} s; stage-1 teacher I2V cmc1 ${s.stage1.teacher.i2v.cmc1.toFixed(1)} mAP ${s.stage1.teacher.i2v.mAP.toFixed(1)}, V2V cmc1 ${s.stage1.teacher.v2v.cmc1.toFixed(1)} mAP ${s.stage1.teacher.v2v.mAP.toFixed(1)}`)
  if (out !== undefined) console.log(yield* MdktReport.write(out, run))
})
await Effect.runPromise(program)
