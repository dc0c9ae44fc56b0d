import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as History from "../src/logging/History.ts"
import * as Mlflow from "../src/logging/Mlflow.ts"
import { Provenance } from "@reidfx/tensor"
import * as TensorBoard from "../src/logging/TensorBoard.ts"
import { Tracker } from "@reidfx/tensor"
import * as Progress from "../src/Progress.ts"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-log-"))
const provenance: Provenance.Provenance = Provenance.make({
  config: { a: 1 },
  backend: { name: "cpu", threads: 1 },
  argv: ["reidfx", "train"],
  now: new Date(0)
})

describe("TensorBoard event files", () => {
  it("CRC-32C matches the RFC 3720 (B.4) and check-string vectors", () => {
    expect(TensorBoard.crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(TensorBoard.crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(TensorBoard.crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(TensorBoard.crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
    expect(TensorBoard.crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283)
    // mask: rotate right by 15, add 0xa282ead8 (computed by hand from 0xe3069283)
    expect(TensorBoard.maskedCrc32c(new TextEncoder().encode("123456789"))).toBe(0xc78ab0e5)
  })

  it("encodes an Event with a scalar as the protobuf bytes of event.proto / summary.proto", () => {
    const encoded = TensorBoard.encodeEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: "a", value: 0.5 }] })
    // 09 <double 1.5> | 10 03 (step) | 2a 0a (summary, 10 bytes) 0a 08 (value, 8 bytes) 0a 01 'a' 15 <float 0.5>
    expect(Buffer.from(encoded).toString("hex")).toBe(
      "09000000000000f83f" + "1003" + "2a0a" + "0a08" + "0a0161" + "150000003f"
    )
    const version = TensorBoard.encodeEvent({ wallTime: 0, step: 0, fileVersion: "brain.Event:2" })
    expect(Buffer.from(version).toString("hex")).toBe(
      `090000000000000000` + `1a0d${Buffer.from("brain.Event:2").toString("hex")}`
    )
  })

  it("frames records as length, masked CRC of the length, data, masked CRC of the data; a flipped byte is found", () => {
    const data = new TextEncoder().encode("123456789")
    const record = TensorBoard.encodeRecord(data)
    expect(record.length).toBe(8 + 4 + 9 + 4)
    expect(Buffer.from(record.subarray(0, 8)).toString("hex")).toBe("0900000000000000")
    expect(new DataView(record.buffer).getUint32(21, true)).toBe(0xc78ab0e5)
    expect(TensorBoard.decodeRecords(record)).toEqual([data])
    const bad = record.slice()
    bad[14] = bad[14]! ^ 1
    expect(() => TensorBoard.decodeRecords(bad)).toThrow("data CRC mismatch")
    expect(() => TensorBoard.decodeRecords(record.subarray(0, 20))).toThrow("truncated record data")
  })

  it("events round-trip through the encoder and the decoder (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tag: fc.string({ maxLength: 20 }), value: fc.float({ noNaN: true }) }), {
          minLength: 1,
          maxLength: 4
        }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.double({ min: 0, max: 2e9, noNaN: true }),
        (scalars, step, wallTime) => {
          const event = TensorBoard.decodeEvent(
            TensorBoard.decodeRecords(
              TensorBoard.encodeRecord(TensorBoard.encodeEvent({ wallTime, step, scalars }))
            )[0]!
          )
          expect(event).toEqual({
            wallTime,
            step,
            scalars: scalars.map((s) => ({ tag: s.tag, value: Math.fround(s.value) }))
          })
        }
      )
    )
  })

  it("the writer's file starts with the brain.Event:2 version event and holds every scalar", () => {
    const dir = tmp()
    const w = TensorBoard.openEventWriter(dir, () => 1000)
    w.scalar("loss", 1.25, 0)
    w.scalar("loss", 0.75, 10, 1001)
    w.close()
    expect(path.basename(w.file)).toBe(`events.out.tfevents.1000.${os.hostname()}`)
    expect(TensorBoard.readEventFile(w.file)).toEqual([
      { wallTime: 1000, step: 0, fileVersion: "brain.Event:2" },
      { wallTime: 1000, step: 0, scalars: [{ tag: "loss", value: 1.25 }] },
      { wallTime: 1001, step: 10, scalars: [{ tag: "loss", value: 0.75 }] }
    ])
  })
})

const record = (over: Partial<Tracker.LogRecord> = {}): Tracker.LogRecord => ({
  kind: "step",
  step: 7,
  time: 1700000000.5,
  where: { method: "lwf", seed: 0, task: "task-1", epoch: 2 },
  values: { loss: 1.5, "ce,x": 0.25 },
  ...over
})

describe("history files", () => {
  it("CSV rows are long (one per scalar) and quoted by RFC 4180; JSON lines keep the record", () => {
    expect(History.csvRows(record())).toBe(
      '1700000000.500,7,lwf,0,task-1,2,,loss,1.5\n1700000000.500,7,lwf,0,task-1,2,,"ce,x",0.25\n'
    )
    expect(History.csvField('a"b')).toBe('"a""b"')
    expect(JSON.parse(History.jsonLine(record({ values: { loss: Number.NaN } })))).toEqual({
      kind: "step",
      step: 7,
      time: 1700000000.5,
      method: "lwf",
      seed: 0,
      task: "task-1",
      epoch: 2,
      values: { loss: "NaN" }
    })
  })

  it("the tracker writes steps and evaluations to their own CSV and JSON-lines files, one header, appending on resume", () => {
    const dir = tmp()
    for (let run = 0; run < 2; run++) {
      const t = History.tracker(dir)
      t.log(record({ step: run }))
      t.log(
        record({
          kind: "evaluation",
          step: -1,
          where: { method: "lwf", seed: 0, testSet: "market" },
          values: { mAP: 0.5 }
        })
      )
      t.finish?.("finished")
    }
    const csv = fs.readFileSync(path.join(dir, "steps.csv"), "utf8").trim().split("\n")
    expect(csv[0]).toBe(History.csvHeader)
    expect(csv).toHaveLength(1 + 2 * 2)
    expect(History.readJsonLines(path.join(dir, "steps.jsonl")).map((r) => r.step)).toEqual([0, 1])
    expect(fs.readFileSync(path.join(dir, "evaluations.csv"), "utf8").trim().split("\n")[1]).toBe(
      "1700000000.500,-1,lwf,0,,,market,mAP,0.5"
    )
  })
})

describe("MLflow file store", () => {
  it("writes the experiment, the run's meta.yaml (RUNNING, then FINISHED), params, tags and metric lines", () => {
    const root = tmp()
    const t = Mlflow.tracker(root)
    t.init?.({ name: "baseline", config: { optimizer: { kind: "adam", lr: 0.001 }, methods: ["a", "b"] }, provenance })
    const [runId] = fs.readdirSync(path.join(root, "0")).filter((f) => f !== "meta.yaml")
    const run = path.join(root, "0", runId!)
    expect(fs.readFileSync(path.join(run, "meta.yaml"), "utf8")).toContain("status: 1\n")
    t.log(record({ values: { loss: 1.5 } }))
    t.log(record({ step: 8, time: 1700000001, values: { loss: 1.25 } }))
    t.finish?.("finished")
    expect(fs.readFileSync(path.join(root, "0", "meta.yaml"), "utf8")).toContain("name: 'Default'")
    expect(fs.readFileSync(path.join(run, "meta.yaml"), "utf8")).toMatch(/end_time: \d+\n(.*\n)*status: 3\n/)
    expect(fs.readFileSync(path.join(run, "params", "optimizer.kind"), "utf8")).toBe("adam")
    expect(fs.readFileSync(path.join(run, "params", "methods"), "utf8")).toBe('["a","b"]')
    expect(fs.readFileSync(path.join(run, "params", "provenance.configHash"), "utf8")).toBe(provenance.configHash)
    expect(fs.readFileSync(path.join(run, "tags", "mlflow.runName"), "utf8")).toBe("baseline")
    expect(fs.readFileSync(path.join(run, "metrics", "lwf", "seed-0", "train", "loss"), "utf8")).toBe(
      "1700000000500 1.5 7\n1700000001000 1.25 8\n"
    )
  })
})

describe("trackers", () => {
  it.effect(
    "feeds every tracker in order; a throwing tracker is dropped, the others go on; finish gets the outcome",
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const good: Tracker.Tracker = {
          name: "good",
          init: (r) => void seen.push(`init ${r.name}`),
          log: (r) => void seen.push(`log ${r.step}`),
          finish: (o) => void seen.push(`finish ${o}`)
        }
        let calls = 0
        const bad: Tracker.Tracker = {
          name: "bad",
          log: () => {
            calls++
            throw new Error("disk full")
          }
        }
        const scope = yield* Scope.make()
        const log = yield* Tracker.open([bad, good], { name: "r", config: {}, provenance }).pipe(Scope.provide(scope))
        yield* log.record(record({ step: 1 }))
        yield* log.record(record({ step: 2 }))
        yield* Scope.close(scope, Exit.fail("boom"))
        expect(calls).toBe(1)
        expect(seen).toEqual(["init r", "log 1", "log 2", "finish failed"])
      })
  )

  it("scalar names nest method / seed / train or eval / test set / name", () => {
    expect(Tracker.scalarName(record(), "loss")).toBe("lwf/seed-0/train/loss")
    expect(Tracker.scalarName(record({ kind: "evaluation", where: { testSet: "market" } }), "mAP")).toBe(
      "eval/market/mAP"
    )
  })

  it.effect("the logged progress reporter records each step's losses, terms, lr and grad norm, then reports", () =>
    Effect.gen(function* () {
      const got: Array<Tracker.LogRecord> = []
      const steps: Array<number> = []
      const inner = {
        ...Progress.silent,
        step: (_: Progress.StepReport, p: Progress.Position) => Effect.sync(() => void steps.push(p.step))
      }
      const p = Progress.logged(inner, { record: (r) => Effect.sync(() => void got.push(r)) }, { method: "m" })
      const report = {
        index: 4,
        images: 32,
        seconds: 0.5,
        learners: [
          {
            name: "model",
            loss: 1.5,
            terms: { ce: 1 },
            stats: { "triplet.active": 3 },
            learningRate: 0.01,
            gradNorm: 2
          }
        ]
      }
      yield* p.step(report, { step: 4, totalSteps: 10, epoch: 1, totalEpochs: 2 })
      expect(steps).toEqual([4])
      expect(got[0]!.where).toEqual({ method: "m", epoch: 2 })
      expect(got[0]!.values).toEqual({
        loss: 1.5,
        ce: 1,
        "triplet.active": 3,
        lr: 0.01,
        gradNorm: 2,
        imagesPerSecond: 64
      })
    })
  )
})

describe("provenance", () => {
  it("hashes the configuration independently of key order, and changes with any value", () => {
    expect(Provenance.canonicalJson({ b: { y: 1, x: [2, { d: 1, c: 0 }] }, a: "s" })).toBe(
      '{"a":"s","b":{"x":[2,{"c":0,"d":1}],"y":1}}'
    )
    expect(Provenance.configHash({ a: 1, b: 2 })).toBe(Provenance.configHash({ b: 2, a: 1 }))
    expect(Provenance.configHash({ a: 1, b: 2 })).not.toBe(Provenance.configHash({ a: 1, b: 3 }))
    expect(Provenance.configHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/)
  })

  it("names the commit inside a git repository and nothing outside one", () => {
    expect(Provenance.gitState(tmp())).toEqual({})
    expect(Provenance.gitState(process.cwd()).commit ?? "no git here").toMatch(/^([0-9a-f]{40}|no git here)$/)
    expect(provenance.reidfx).toBe(
      JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")).version
    )
    expect(provenance.commandLine).toEqual(["reidfx", "train"])
    expect(Provenance.commandLine(["/repo/packages/cli/src/bin.ts", "demo", "--quick"])).toEqual([
      "reidfx",
      "demo",
      "--quick"
    ])
    expect(Provenance.commandLine(["/usr/lib/node_modules/@reidfx/cli/dist/bin.js", "run", "p.yaml"])).toEqual([
      "reidfx",
      "run",
      "p.yaml"
    ])
    expect(Provenance.commandLine(["my-script.ts", "x"])).toEqual(["my-script.ts", "x"])
    expect(Provenance.lines(provenance)[1]).toBe(
      `backend cpu (1 thread(s)), Node ${process.version}, ${process.platform}-${process.arch}`
    )
  })
})
