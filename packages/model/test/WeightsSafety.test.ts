import { describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Model, Weights } from "../src/index.ts"

const tiny = {
  backbone: { kind: "reference", stemWidth: 4, widths: [4, 8], blocks: [1, 1] },
  head: { classes: 5, neck: "bnneck" }
} as const
const cpu = Effect.provide(Backend.layerCpu)

/** Reads a model folder; the failure's one-line message, or "ok". Tensors are released either way. */
const readMessage = (dir: string, options: Weights.ReadOptions = {}) =>
  Effect.scoped(Weights.readDirectory(dir, options)).pipe(
    Effect.exit,
    Effect.map((exit) => {
      if (Exit.isSuccess(exit)) return "ok"
      const error = exit.cause.reasons[0]
      if (error === undefined || error._tag !== "Fail") throw new Error(`not a typed failure: ${String(exit.cause)}`)
      expect(["WeightsIOError", "PathEscapesRoot"]).toContain((error.error as { _tag: string })._tag)
      return (error.error as Error).message
    })
  )

describe("weights folders: confinement and bounds", () => {
  it.effect("manifest paths that escape the model folder are refused, naming the path; nothing outside is opened", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-weights-")))
      const model = yield* Model.make(tiny)
      const good = path.join(dir, "good")
      const evil = path.join(dir, "evil")
      yield* Weights.save(model, good)
      yield* Weights.save(model, evil)
      const json = JSON.parse(yield* Effect.promise(() => fs.readFile(path.join(evil, "model.json"), "utf8")))
      const shard = json.weightsManifest[0].paths[0]
      const withPath = (p: string) => {
        json.weightsManifest[0].paths = [p]
        return Effect.promise(() => fs.writeFile(path.join(evil, "model.json"), JSON.stringify(json)))
      }
      const where = `${path.join(evil, "model.json")} weightsManifest`
      for (const p of [`../good/${shard}`, "../../../../etc/passwd", "../../../../dev/zero", "/dev/zero"]) {
        yield* withPath(p)
        expect(yield* readMessage(evil)).toBe(
          `${where}: path "${p}" resolves outside ${evil}; only paths inside that folder are read`
        )
      }
      // a symbolic link out of the folder is refused the same way
      yield* Effect.promise(() => fs.symlink(path.join(good, shard), path.join(evil, "link.bin")))
      yield* withPath("link.bin")
      expect(yield* readMessage(evil)).toBe(
        `${where}: path "link.bin" resolves outside ${evil}; only paths inside that folder are read`
      )
      // opting in to absolute paths still refuses a device, before reading it
      yield* withPath("/dev/zero")
      expect(yield* readMessage(evil, { allowAbsolutePaths: true })).toBe(
        `weights at ${evil}: cannot read a tfjs model directory: it is a character device, not a regular file`
      )
      // and a shard shorter than the manifest declares
      yield* withPath(shard)
      yield* Effect.promise(() => fs.truncate(path.join(evil, shard), 100))
      expect(yield* readMessage(evil)).toMatch(/the shards hold 100 bytes but the manifest declares \d+$/)
      expect(yield* readMessage(good)).toBe("ok")
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(Effect.scoped, cpu)
  )

  it.effect(
    "hostile model.json manifests (shapes, dtypes, paths, bytes) are read or refused with a typed error, leaking no tensor",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-weights-fuzz-")))
        const model = yield* Model.make(tiny)
        const m = path.join(dir, "m")
        yield* Weights.save(model, m)
        const text = yield* Effect.promise(() => fs.readFile(path.join(m, "model.json"), "utf8"))
        const before = tf.memory().numTensors
        const shape = fc.array(
          fc.oneof(fc.integer({ min: -3, max: 64 }), fc.constantFrom(1e12, 2 ** 31, 1.5, Number.NaN)),
          { maxLength: 4 }
        )
        const edit = fc.record({
          entry: fc.nat(),
          shape: fc.option(shape),
          dtype: fc.option(fc.constantFrom("float32", "int32", "bool", "string", "complex64", "float16", "x")),
          path: fc.option(fc.constantFrom("../x.bin", "/etc/passwd", "missing.bin", ".", "", "group1-shard1of1.bin")),
          flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 32, max: 126 })))
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(edit, async (e) => {
              const json = JSON.parse(text)
              const weights = json.weightsManifest[0].weights
              const w = weights[e.entry % weights.length]
              if (e.shape !== null) w.shape = e.shape
              if (e.dtype !== null) w.dtype = e.dtype
              if (e.path !== null) json.weightsManifest[0].paths = [e.path]
              let out = JSON.stringify(json)
              if (e.flip !== null) {
                const i = e.flip[0] % out.length
                out = out.slice(0, i) + String.fromCharCode(e.flip[1]) + out.slice(i + 1)
              }
              await fs.writeFile(path.join(m, "model.json"), out)
              await Effect.runPromise(readMessage(m).pipe(cpu))
              expect(tf.memory().numTensors).toBe(before)
            }),
            { numRuns: 150, seed: 14 }
          )
        )
        yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
      }).pipe(Effect.scoped, cpu)
  )
})
