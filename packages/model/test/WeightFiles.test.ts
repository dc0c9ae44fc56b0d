/**
 * The weight-file formats and the name mapping, without PyTorch: `.safetensors` and `.npy` / `.npz` bytes built by
 * hand, every dtype decoded, every broken file rejected with a message naming the problem, torchvision's names
 * (counts and samples taken from torchvision 0.14's `state_dict()`), and import / export round trips.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { assert, describe, expect, it } from "@effect/vitest"
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
import { Backend, Rng } from "@reidfx/tensor"
import { Effect, Exit, Schema } from "effect"
import * as fc from "fast-check"
import {
  define,
  Model,
  ModelConfig,
  Npy,
  Npz,
  Safetensors,
  TorchNames,
  Weights,
  WeightsImport,
  WeightsInit
} from "../src/index.ts"

const cpu = Effect.provide(Backend.layerCpu)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reidfx-weightfiles-"))
const file = (name: string, bytes: Uint8Array) => {
  fs.writeFileSync(path.join(dir, name), bytes)
  return path.join(dir, name)
}

/** A safetensors file from a header object and raw data bytes. */
const safetensors = (header: unknown, data: Uint8Array) => {
  const text = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + text.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true)
  out.set(text, 8)
  out.set(data, 8 + text.length)
  return out
}

/** A `.npy` file (version 1 or 2). */
const npy = (
  descr: string,
  shape: Array<number>,
  data: Uint8Array,
  options: { fortran?: boolean; version?: 1 | 2 } = {}
) => {
  const version = options.version ?? 1
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortran === true ? "True" : "False"}, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`
  const pre = version === 1 ? 10 : 12
  const padded = dict + " ".repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + "\n"
  const out = new Uint8Array(pre + padded.length + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0])
  const view = new DataView(out.buffer)
  if (version === 1) view.setUint16(8, padded.length, true)
  else view.setUint32(8, padded.length, true)
  out.set(new TextEncoder().encode(padded), pre)
  out.set(data, pre + padded.length)
  return out
}

const f32 = (values: Array<number>, littleEndian = true) => {
  const out = new Uint8Array(values.length * 4)
  for (const [i, v] of values.entries()) new DataView(out.buffer).setFloat32(i * 4, v, littleEndian)
  return out
}

/** A ZIP archive (stored or deflated members, as `np.savez` / `np.savez_compressed` write). */
const zip = (members: Array<{ name: string; data: Uint8Array; deflate?: boolean; badCrc?: boolean }>) => {
  const locals: Array<Uint8Array> = []
  const centrals: Array<Uint8Array> = []
  let offset = 0
  for (const m of members) {
    const name = new TextEncoder().encode(m.name)
    const body = m.deflate === true ? new Uint8Array(zlib.deflateRawSync(m.data)) : m.data
    const crc = (zlib.crc32(m.data) ^ (m.badCrc === true ? 1 : 0)) >>> 0
    const local = new Uint8Array(30 + name.length + body.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(8, m.deflate === true ? 8 : 0, true)
    lv.setUint32(14, crc, true)
    lv.setUint32(18, body.length, true)
    lv.setUint32(22, m.data.length, true)
    lv.setUint16(26, name.length, true)
    local.set(name, 30)
    local.set(body, 30 + name.length)
    const central = new Uint8Array(46 + name.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(10, m.deflate === true ? 8 : 0, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, body.length, true)
    cv.setUint32(24, m.data.length, true)
    cv.setUint16(28, name.length, true)
    cv.setUint32(42, offset, true)
    central.set(name, 46)
    locals.push(local)
    centrals.push(central)
    offset += local.length
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0)
  const end = new Uint8Array(22)
  const ev = new DataView(end.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, members.length, true)
  ev.setUint16(10, members.length, true)
  ev.setUint32(12, cdSize, true)
  ev.setUint32(16, offset, true)
  return Buffer.concat([...locals, ...centrals, end])
}

const detail = <A>(effect: Effect.Effect<A, { readonly message: string }, never>) =>
  Effect.map(Effect.flip(effect), (e) => e.message)

const openSafetensors = (name: string, bytes: Uint8Array) =>
  Effect.scoped(Effect.flatMap(Safetensors.open(file(name, bytes)), (f) => Effect.succeed(f.entries)))

describe("safetensors", () => {
  it.effect("decodes F32, F16, BF16, F64 and I64 by hand-computed values", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const data = new Uint8Array(4 + 6 + 4 + 8 + 16)
        const v = new DataView(data.buffer)
        v.setFloat32(0, 1.5, true)
        // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 2^-24 (smallest subnormal) = 0x0001
        v.setUint16(4, 0x3c00, true)
        v.setUint16(6, 0xc000, true)
        v.setUint16(8, 0x0001, true)
        // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00
        v.setUint16(10, 0x3f80, true)
        v.setUint16(12, 0xbf00, true)
        v.setFloat64(14, Math.PI, true)
        v.setBigInt64(22, -3n, true)
        v.setBigInt64(30, 1n << 40n, true)
        const header = {
          __metadata__: { format: "pt" },
          a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
          h: { dtype: "F16", shape: [3], data_offsets: [4, 10] },
          b: { dtype: "BF16", shape: [2], data_offsets: [10, 14] },
          d: { dtype: "F64", shape: [], data_offsets: [14, 22] },
          i: { dtype: "I64", shape: [2], data_offsets: [22, 38] }
        }
        const f = yield* Safetensors.open(file("dtypes.safetensors", safetensors(header, data)))
        expect(f.metadata).toEqual({ format: "pt" })
        expect(f.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([
          ["a", "F32", [1]],
          ["h", "F16", [3]],
          ["b", "BF16", [2]],
          ["d", "F64", []],
          ["i", "I64", [2]]
        ])
        expect(Array.from(yield* f.read("a"))).toEqual([1.5])
        expect(Array.from(yield* f.read("h"))).toEqual([1, -2, 2 ** -24])
        expect(Array.from(yield* f.read("b"))).toEqual([1, -0.5])
        expect((yield* f.read("d"))[0]).toBeCloseTo(Math.PI, 6)
        expect(Array.from(yield* f.read("i"))).toEqual([-3, 2 ** 40])
        expect(yield* detail(f.read("nope"))).toContain(`no tensor named "nope"`)
      })
    )
  )

  it.effect("encode then open gives back names, shapes and values (header padded to 8 bytes)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const bytes = Safetensors.encode(
          [
            { name: "x", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
            { name: "y.z", shape: [], data: Float32Array.from([-7]) }
          ],
          { note: "hi" }
        )
        expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0)
        const f = yield* Safetensors.open(file("roundtrip.safetensors", bytes))
        expect(Array.from(yield* f.read("x"))).toEqual([1, 2, 3, 4, 5, 6])
        expect(Array.from(yield* f.read("y.z"))).toEqual([-7])
        expect(f.metadata).toEqual({ note: "hi" })
      })
    )
  )

  it.effect("rejects broken files with a message naming the problem", () =>
    Effect.gen(function* () {
      const four = f32([1])
      expect(yield* detail(openSafetensors("short.safetensors", new Uint8Array(5)))).toContain(
        "shorter than the 8-byte header size"
      )
      const huge = new Uint8Array(16)
      new DataView(huge.buffer).setBigUint64(0, 1000n, true)
      expect(yield* detail(openSafetensors("huge.safetensors", huge))).toContain("header size 1000 exceeds the file")
      expect(
        yield* detail(
          openSafetensors(
            "json.safetensors",
            safetensors("x", four).map((b, i) => (i === 8 ? 0x7b : b))
          )
        )
      ).toContain("not valid JSON")
      expect(
        yield* detail(
          openSafetensors(
            "dtype.safetensors",
            safetensors({ w: { dtype: "Q8", shape: [1], data_offsets: [0, 4] } }, four)
          )
        )
      ).toContain(`tensor "w": unsupported dtype "Q8"`)
      expect(
        yield* detail(
          openSafetensors(
            "size.safetensors",
            safetensors({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, four)
          )
        )
      ).toContain(`tensor "w": data_offsets [0, 4] hold 4 bytes, its F32 shape [2] needs 8`)
      expect(
        yield* detail(
          openSafetensors(
            "past.safetensors",
            safetensors({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, four)
          )
        )
      ).toContain(`tensor "w": data_offsets end 8 is past the end of the data (4 bytes): truncated file?`)
      const overlap = {
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [1], data_offsets: [4, 8] }
      }
      expect(yield* detail(openSafetensors("overlap.safetensors", safetensors(overlap, f32([1, 2]))))).toContain(
        `tensors "a" and "b" overlap`
      )
      expect(
        yield* detail(
          openSafetensors(
            "shape.safetensors",
            safetensors({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four)
          )
        )
      ).toContain("shape must be an array of non-negative integers")
    })
  )
})

describe("npy and npz", () => {
  it("reads Fortran order, big-endian, float16, int64 and version 2 headers", () => {
    // [[1, 2, 3], [4, 5, 6]] in Fortran order is stored 1 4 2 5 3 6
    const fortran = Npy.decode(npy("<f4", [2, 3], f32([1, 4, 2, 5, 3, 6]), { fortran: true }))
    assert(typeof fortran !== "string")
    expect(Array.from(fortran.data)).toEqual([1, 2, 3, 4, 5, 6])
    const big = Npy.decode(npy(">f4", [2], f32([0.25, -8], false), { version: 2 }))
    assert(typeof big !== "string")
    expect(Array.from(big.data)).toEqual([0.25, -8])
    const half = Npy.decode(npy("<f2", [1], Uint8Array.from([0x00, 0x3c])))
    assert(typeof half !== "string")
    expect(Array.from(half.data)).toEqual([1])
    expect(Npy.decode(npy("<c8", [1], new Uint8Array(8)))).toContain("unsupported .npy dtype '<c8'")
    expect(Npy.decode(npy("<f4", [3], f32([1])))).toContain(".npy data has 4 bytes, shape [3] needs 12")
    expect(Npy.decode(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toContain("no \\x93NUMPY magic")
  })

  it.effect("reads stored and deflated members lazily; a bad CRC or a non-.npy member is an error", () =>
    Effect.gen(function* () {
      const archive = zip([
        { name: "conv.weight.npy", data: npy("<f4", [2, 2], f32([1, 2, 3, 4])) },
        {
          name: "bn.running_var.npy",
          data: npy("<f8", [3], new Uint8Array(new Float64Array([0.5, 1, 2]).buffer)),
          deflate: true
        }
      ])
      const values = yield* Effect.scoped(
        Effect.gen(function* () {
          const f = yield* Npz.open(file("ok.npz", archive))
          expect(f.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([
            ["conv.weight", "F32", [2, 2]],
            ["bn.running_var", "F64", [3]]
          ])
          return [Array.from(yield* f.read("conv.weight")), Array.from(yield* f.read("bn.running_var"))]
        })
      )
      expect(values).toEqual([
        [1, 2, 3, 4],
        [0.5, 1, 2]
      ])
      const corrupt = zip([{ name: "w.npy", data: npy("<f4", [1], f32([1])), deflate: true, badCrc: true }])
      const crc = yield* detail(Effect.scoped(Effect.flatMap(Npz.open(file("crc.npz", corrupt)), (f) => f.read("w"))))
      expect(crc).toContain(`"w.npy" fails its CRC-32 check`)
      expect(
        yield* detail(Effect.scoped(Npz.open(file("txt.npz", zip([{ name: "readme.txt", data: new Uint8Array(3) }])))))
      ).toContain(`"readme.txt" is not a .npy member`)
      expect(yield* detail(Effect.scoped(Npz.open(file("not.npz", new Uint8Array(100)))))).toContain(
        "not a ZIP archive"
      )
    })
  )
})

const decode = (input: ModelConfig.ModelConfigInput) => Schema.decodeUnknownSync(ModelConfig.ModelConfig)(input)

describe("torchvision names", () => {
  // counts and names: torchvision 0.14 `state_dict()` keys without `num_batches_tracked`
  it.each([
    ["resnet18", 102, "fc.bias", "layer4.1.bn2.running_var"],
    ["resnet34", 182, "fc.bias", "layer4.2.bn2.running_var"],
    ["resnet50", 267, "fc.bias", "layer4.2.bn3.running_var"],
    ["mobilenetv2", 262, "classifier.1.bias", "features.18.1.running_var"]
  ] as const)("%s maps one to one onto torchvision's %i tensors", (kind, count, last, backboneLast) => {
    const config = decode(ModelConfig.torchvisionClassifier(kind))
    const names = TorchNames.torchNames(define(config).specs, config, "torchvision")
    expect(names.length).toBe(count)
    expect(new Set(names.map((n) => n.torch)).size).toBe(count)
    expect(names.map((n) => n.torch)).toContain(last)
    expect(names.map((n) => n.torch)).toContain(backboneLast)
    expect(names.filter((n) => n.torch.startsWith("reidfx."))).toEqual([])
  })

  it("converts layouts: OIHW convs, depthwise [C, 1, k, k], [out, in] linears", () => {
    const r50 = decode(ModelConfig.torchvisionClassifier("resnet50"))
    const byTorch = new Map(
      TorchNames.torchNames(define(r50).specs, r50, "torchvision").map((n) => [n.torch, n] as const)
    )
    expect(byTorch.get("layer2.0.conv2.weight")).toMatchObject({
      reidfx: "backbone/layer2/0/conv2/kernel",
      transform: "conv",
      torchShape: [128, 128, 3, 3]
    })
    expect(byTorch.get("layer1.0.downsample.0.weight")?.torchShape).toEqual([256, 64, 1, 1])
    expect(byTorch.get("fc.weight")).toMatchObject({
      reidfx: "head/classifier/kernel",
      transform: "linear",
      torchShape: [1000, 2048]
    })
    expect(byTorch.get("bn1.running_var")?.reidfx).toBe("backbone/bn1/moving_variance")
    const mnv2 = decode(ModelConfig.torchvisionClassifier("mobilenetv2"))
    const m = new Map(TorchNames.torchNames(define(mnv2).specs, mnv2, "torchvision").map((n) => [n.torch, n] as const))
    expect(m.get("features.1.conv.0.0.weight")).toMatchObject({ transform: "depthwise", torchShape: [32, 1, 3, 3] })
    expect(m.get("features.2.conv.1.0.weight")).toMatchObject({ transform: "depthwise", torchShape: [96, 1, 3, 3] })
    // the permutations are inverse to each other
    for (const t of ["conv", "depthwise", "linear"] as const) {
      const to = TorchNames.toTorch[t]!
      const back = TorchNames.toReidfx[t]!
      expect(to.map((_, i) => back[to[i]!])).toEqual(to.map((_, i) => i))
    }
  })

  it("permuteAxes equals tf.transpose on random shapes and permutations (fast-check)", () => {
    tf.setBackend("cpu")
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
          fc.tuple(
            fc.constant(shape),
            fc.shuffledSubarray(
              shape.map((_, i) => i),
              { minLength: shape.length, maxLength: shape.length }
            )
          )
        ),
        ([shape, perm]) => {
          const data = Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => i * 0.5 - 3)
          const expected = tf.tidy(() => Array.from(tf.transpose(tf.tensor(data, shape), perm).dataSync()))
          expect(Array.from(TorchNames.permuteAxes(data, shape, perm))).toEqual(expected)
        }
      ),
      { numRuns: 100 }
    )
  })

  it("fast-reid names: backbone., IBN halves, BNNeck and bias-free classifier; layouts are detected", () => {
    const config = decode({
      backbone: { kind: "resnet50", ibn: true, lastStride: 1 },
      head: { neck: "bnneck", classes: 751, pooling: "gem" }
    })
    const names = TorchNames.torchNames(define(config).specs, config, "fastreid").map((n) => n.torch)
    expect(names).toContain("backbone.layer3.5.bn1.IN.weight")
    expect(names).toContain("backbone.layer3.5.bn1.BN.running_mean")
    expect(names).toContain("backbone.layer4.0.bn1.running_mean")
    expect(names).not.toContain("backbone.layer4.0.bn1.IN.weight")
    expect(names).toEqual(
      expect.arrayContaining([
        "heads.bottleneck.0.weight",
        "heads.bottleneck.0.running_var",
        "heads.weight",
        "heads.pool_layer.p"
      ])
    )
    expect(TorchNames.detectLayout(["module.backbone.conv1.weight", "module.heads.weight"])).toBe("fastreid")
    expect(TorchNames.detectLayout(["conv1.weight", "layer1.0.conv1.weight", "classifier.weight"])).toBe("torchreid")
    expect(TorchNames.detectLayout(["conv1.weight", "layer1.0.conv1.weight", "fc.weight"])).toBe("torchvision")
  })
})

/** A small MobileNetV2 (width 0.25) with a BNNeck: torchvision names for its backbone, fast enough for the cpu backend. */
const small = {
  backbone: { kind: "mobilenetv2", widthMultiplier: 0.25 },
  head: { neck: "bnneck", classes: 3 }
} as const

describe("import and export", () => {
  it.effect(
    "export then import (torchvision and fast-reid layouts) gives the same weights, without leaking tensors",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* Model.make(small).pipe(Rng.withSeed(1))
          for (const layout of ["torchvision", "fastreid"] as const) {
            const out = path.join(dir, `small-${layout}.safetensors`)
            yield* WeightsImport.exportSafetensors(source, out, layout)
            const before = tf.memory().numTensors
            const target = yield* Effect.scoped(
              Effect.gen(function* () {
                const target = yield* Model.make(small).pipe(Rng.withSeed(2))
                yield* WeightsImport.importInto(target, out)
                const same = [...source.weights()].every(
                  ([name, t]) =>
                    tf.tidy(() => tf.max(tf.abs(tf.sub(t, target.weights().get(name)!))).dataSync()[0]) === 0
                )
                return same
              })
            )
            expect(target).toBe(true)
            expect(tf.memory().numTensors).toBe(before)
          }
        })
      ).pipe(cpu)
  )

  it.effect("a missing, an extra and a mis-shaped tensor are named; the backbone part skips the classifier", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const source = yield* Model.make(small)
        const tensors = WeightsImport.toStateDict(source, "torchvision")
        const write = (name: string, list: ReadonlyArray<Safetensors.Float32Tensor>) =>
          file(name, Safetensors.encode(list))
        const target = yield* Model.make(small)
        const fail = (f: string, options: WeightsImport.ImportOptions = {}) =>
          Effect.flip(WeightsImport.importInto(target, f, options))
        const missing = yield* fail(
          write(
            "missing.safetensors",
            tensors.filter((t) => t.name !== "features.3.conv.1.1.running_var")
          )
        )
        assert.strictEqual(missing._tag, "WeightsMismatch")
        expect(missing.message).toContain("missing 1 tensor(s): features.3.conv.1.1.running_var")
        const extra = yield* fail(
          write("extra.safetensors", [...tensors, { name: "layer9.weight", shape: [1], data: Float32Array.from([0]) }])
        )
        expect(extra.message).toContain("unexpected 1 tensor(s): layer9.weight")
        const shaped = yield* fail(
          write(
            "shape.safetensors",
            tensors.map((t) => (t.name === "features.0.0.weight" ? { ...t, shape: [8, 3, 1, 9] } : t))
          )
        )
        expect(shaped.message).toContain("features.0.0.weight: expected shape [8, 3, 3, 3], file has [8, 3, 1, 9]")
        // an ImageNet-style file: backbone + a 1000-class classifier; importing the backbone skips the classifier
        const imagenet = write("imagenet.safetensors", [
          ...tensors.filter((t) => !t.name.startsWith("reidfx.head.") && !t.name.startsWith("classifier.")),
          { name: "classifier.1.weight", shape: [1000, 1280], data: new Float32Array(1280 * 1000) },
          { name: "features.0.1.num_batches_tracked", shape: [], data: Float32Array.from([5]) }
        ])
        const neckBefore = Array.from(target.weights().get("head/bnneck/gamma")!.dataSync())
        yield* WeightsImport.importInto(target, imagenet, { part: "backbone" })
        expect(Array.from(target.weights().get("backbone/features/0/0/kernel")!.dataSync())).toEqual(
          Array.from(source.weights().get("backbone/features/0/0/kernel")!.dataSync())
        )
        expect(Array.from(target.weights().get("head/bnneck/gamma")!.dataSync())).toEqual(neckBefore)
        // a whole-model import of the same file misses the head
        expect((yield* fail(imagenet)).message).toContain("missing")
        // fast-reid BNNeck bias must be zero
        const fastreid = WeightsImport.toStateDict(source, "fastreid")
        const neck = fastreid.find((t) => t.name === "heads.bottleneck.0.weight")!
        const biased = write("biased.safetensors", [
          ...fastreid,
          { name: "heads.bottleneck.0.bias", shape: neck.shape, data: new Float32Array(neck.data.length).fill(0.5) }
        ])
        expect((yield* fail(biased)).message).toContain("heads.bottleneck.0.bias is not zero")
        expect((yield* fail(path.join(dir, "weights.pth"))).message).toContain("unknown weights file type")
      })
    ).pipe(cpu)
  )

  it.effect("a reidfx weights directory as `weights`: the backbone is loaded, the head kept; a misfit is named", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const source = yield* Model.make({ ...small, head: { neck: "bnneck", classes: 9 } }).pipe(Rng.withSeed(3))
        const saved = path.join(dir, "saved-small")
        yield* Weights.save(source, saved)
        const target = yield* Model.make(small).pipe(Rng.withSeed(4))
        const head = Array.from(target.weights().get("head/classifier/kernel")!.dataSync())
        yield* WeightsInit.apply(target, saved)
        const kernel = "backbone/features/4/conv/1/0/depthwise_kernel"
        expect(Array.from(target.weights().get(kernel)!.dataSync())).toEqual(
          Array.from(source.weights().get(kernel)!.dataSync())
        )
        expect(Array.from(target.weights().get("head/classifier/kernel")!.dataSync())).toEqual(head)
        const wider = yield* Model.make({
          backbone: { kind: "mobilenetv2", widthMultiplier: 0.5 },
          head: { neck: "none" }
        })
        const savedWider = path.join(dir, "saved-wider")
        yield* Weights.save(wider, savedWider)
        const error = yield* Effect.flip(WeightsInit.apply(target, savedWider))
        expect(error.message).toContain(
          "backbone/features/0/0/kernel: expected shape [3, 3, 3, 8], file has [3, 3, 3, 16]"
        )
      })
    ).pipe(cpu)
  )

  it.effect("importFrozen gives a frozen model whose tensors the scope frees", () =>
    Effect.gen(function* () {
      const out = path.join(dir, "frozen.safetensors")
      yield* Effect.scoped(Effect.flatMap(Model.make(small), (m) => WeightsImport.exportSafetensors(m, out)))
      const before = tf.memory().numTensors
      const config = yield* Model.decodeConfig(small)
      const embedded = yield* Effect.scoped(
        Effect.gen(function* () {
          const frozen = yield* WeightsImport.importFrozen(config, out)
          assert.strictEqual(frozen._tag, "FrozenModel")
          return tf.tidy(() => frozen.embed(tf.zeros([1, 32, 32, 3])).shape)
        })
      )
      expect(embedded).toEqual([1, 1280])
      expect(tf.memory().numTensors).toBe(before)
      const exit = yield* Effect.exit(
        Effect.scoped(WeightsImport.importFrozen(yield* Model.decodeConfig({ ...small, head: { neck: "none" } }), out))
      )
      expect(Exit.isFailure(exit)).toBe(true)
    }).pipe(cpu)
  )
})
