/**
 * Proof of equality with PyTorch: torchvision models with random weights (and random BN statistics) are built,
 * run and saved by `test/torch/reference.py` (Debian's python3-torch / python3-torchvision), imported into reidfx
 * from `.safetensors` and `.npz`, and run on the same input in inference mode.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import { Backend } from "@reidfx/tensor"
import { Effect } from "effect"
import { define, Model, ModelConfig, Npy, Safetensors, WeightsImport } from "../src/index.ts"

const script = path.join(import.meta.dirname, "torch", "reference.py")

/** A python3 that imports torch and torchvision: $REIDFX_PYTHON, Debian's /usr/bin/python3, then python3 on PATH. */
const torchPython = ((): string | undefined => {
  const candidates = [process.env.REIDFX_PYTHON, "/usr/bin/python3", "python3"].filter(
    (c): c is string => c !== undefined && c !== ""
  )
  for (const python of candidates) {
    try {
      execFileSync(python, ["-c", "import torch, torchvision"], { stdio: "ignore", timeout: 60_000 })
      return python
    } catch {
      // try the next one
    }
  }
  return undefined
})()

// wasm: a ResNet-50 forward takes ~25 s on the cpu backend
const wasm = Effect.provide(Backend.layerWasm)
const [BATCH, HEIGHT, WIDTH, SEED] = [2, 64, 32, 0]
let dir = ""

const readNpy = (file: string) => {
  const decoded = Npy.decode(new Uint8Array(fs.readFileSync(file)))
  if (typeof decoded === "string") throw new Error(decoded)
  return decoded
}

/** NCHW input written by PyTorch, as reidfx's NHWC. */
const inputOf = (arch: string) => {
  const { data, header } = readNpy(path.join(dir, arch, "input.npy"))
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, header.shape as [number, number, number, number]), [0, 2, 3, 1]))
}

/** max |a - b| and that over max |b| (the error relative to the output's scale). */
const errors = (actual: Float32Array, expected: Float32Array) => {
  expect(actual.length).toBe(expected.length)
  let maxAbs = 0
  let maxRef = 0
  for (let i = 0; i < expected.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected[i]!))
    maxRef = Math.max(maxRef, Math.abs(expected[i]!))
  }
  return { maxAbs, maxRel: maxAbs / maxRef }
}

/** Imports `file` into a fresh model of `config`, runs it in inference mode and compares features and logits. */
const compare = (arch: string, config: ModelConfig.ModelConfigInput, file: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      // a frozen model straight from the file (no random initialisation of 25 M parameters first)
      const model = yield* WeightsImport.importFrozen(yield* Model.decodeConfig(config), path.join(dir, arch, file))
      const x = inputOf(arch)
      const [features, logits] = tf.tidy(() => {
        const out = model.forward(x, { training: false })
        return [out.features.dataSync() as Float32Array, out.logits!.dataSync() as Float32Array]
      })
      x.dispose()
      const result = {
        features: errors(features, readNpy(path.join(dir, arch, "features.npy")).data),
        logits: errors(logits, readNpy(path.join(dir, arch, "logits.npy")).data)
      }
      console.log(`${arch} from ${file}: ${JSON.stringify(result)}`)
      return { result, model }
    })
  ).pipe(wasm)

if (torchPython === undefined) {
  it.skip("PyTorch equality: skipped, no python3 with torch and torchvision (apt-get install python3-torch python3-torchvision)", () => {})
} else {
  describe("import from PyTorch gives torchvision's outputs", () => {
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-torch-"))
      execFileSync(
        torchPython,
        [
          script,
          dir,
          String(BATCH),
          String(HEIGHT),
          String(WIDTH),
          String(SEED),
          "resnet50",
          "mobilenet_v2",
          "fastreid_resnet50_ibn"
        ],
        {
          stdio: "inherit",
          timeout: 300_000
        }
      )
    }, 300_000)
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

    it.effect(
      "ResNet-50 (.safetensors): features and logits within 1e-4 relative",
      () =>
        Effect.gen(function* () {
          const { result } = yield* compare(
            "resnet50",
            ModelConfig.torchvisionClassifier("resnet50"),
            "model.safetensors"
          )
          expect(result.features.maxRel).toBeLessThanOrEqual(1e-4)
          expect(result.logits.maxRel).toBeLessThanOrEqual(1e-4)
        }),
      120_000
    )

    it.effect(
      "MobileNetV2 (.npz): features and logits within 1e-4 relative; exported back, it is torchvision's state dict exactly",
      () =>
        Effect.gen(function* () {
          const { result } = yield* compare(
            "mobilenet_v2",
            ModelConfig.torchvisionClassifier("mobilenetv2"),
            "model.npz"
          )
          expect(result.features.maxRel).toBeLessThanOrEqual(1e-4)
          expect(result.logits.maxRel).toBeLessThanOrEqual(1e-4)
          // export: reidfx -> .safetensors with torchvision names -> torchvision.load_state_dict(strict=True)
          const exported = path.join(dir, "mobilenet_v2", "exported.safetensors")
          yield* Effect.scoped(
            Effect.gen(function* () {
              const model = yield* WeightsImport.importFrozen(
                yield* Model.decodeConfig(ModelConfig.torchvisionClassifier("mobilenetv2")),
                path.join(dir, "mobilenet_v2", "model.npz")
              )
              yield* WeightsImport.exportSafetensors(model, exported)
            })
          ).pipe(wasm)
          // the export holds exactly torchvision's state dict (num_batches_tracked aside): names, shapes and values
          const [original, back] = yield* Effect.scoped(
            Effect.gen(function* () {
              const read = (f: string) =>
                Effect.gen(function* () {
                  const file = yield* Safetensors.open(f)
                  const out = new Map<string, { shape: ReadonlyArray<number>; data: Float32Array }>()
                  for (const e of file.entries)
                    if (!e.name.endsWith("num_batches_tracked"))
                      out.set(e.name, { shape: e.shape, data: yield* file.read(e.name) })
                  return out
                })
              return [yield* read(path.join(dir, "mobilenet_v2", "model.safetensors")), yield* read(exported)] as const
            })
          )
          expect([...back.keys()].sort()).toEqual([...original.keys()].sort())
          for (const [name, t] of original) {
            expect(back.get(name)!.shape, name).toEqual(t.shape)
            expect(
              back.get(name)!.data.every((v, i) => v === t.data[i]),
              name
            ).toBe(true)
          }
        }),
      120_000
    )

    it.effect(
      "MobileNetV2 .npz and .safetensors give the same tensors",
      () =>
        Effect.scoped(
          Effect.gen(function* () {
            const network = define(yield* Model.decodeConfig(ModelConfig.torchvisionClassifier("mobilenetv2")))
            const a = yield* WeightsImport.readFor(
              network,
              yield* WeightsImport.openFile(path.join(dir, "mobilenet_v2", "model.safetensors"))
            )
            const b = yield* WeightsImport.readFor(
              network,
              yield* WeightsImport.openFile(path.join(dir, "mobilenet_v2", "model.npz"))
            )
            assert.strictEqual(a.size, network.specs.length)
            for (const [name, t] of a)
              expect(
                tf.tidy(() => tf.max(tf.abs(tf.sub(t, b.get(name)!))).dataSync()[0]),
                name
              ).toBe(0)
          })
        ).pipe(wasm),
      120_000
    )

    it.effect(
      "fast-reid ResNet-50 IBN-a, last stride 1, BNNeck (fast-reid names, detected): within 1e-4 relative",
      () =>
        Effect.gen(function* () {
          const config = {
            backbone: { kind: "resnet50", lastStride: 1, ibn: true, stemPool: "fastreid" },
            head: { pooling: "avg", neck: "bnneck", classes: 10 }
          } as const
          const { result } = yield* compare("fastreid_resnet50_ibn", config, "model.safetensors")
          expect(result.features.maxRel).toBeLessThanOrEqual(1e-4)
          expect(result.logits.maxRel).toBeLessThanOrEqual(1e-4)
        }),
      120_000
    )
  })
}
