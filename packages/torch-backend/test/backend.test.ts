/**
 * The storage side of the torch backend (write / read / readSync / disposeData / memory / numDataIds, shared data
 * under Reshape), its configuration, and its typed errors.
 */
import { Backend } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Exit } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { loadAddon, registerTorchBackend, TorchUnavailable } from "../src/index.ts"
import { available, reportSkip } from "./torch.ts"

beforeAll(async () => {
  if (available) await tf.setBackend("torch")
})

reportSkip()

describe("torch backend errors", () => {
  it("TorchUnavailable says what is missing", () => {
    expect(
      new TorchUnavailable({ hint: "the torch addon is not built: build it with `npm run build:torch`" }).message
    ).toBe("torch backend unavailable: the torch addon is not built: build it with `npm run build:torch`")
  })
})

describe.skipIf(!available)("the torch backend", () => {
  it("stores float32, int32, bool and string tensors and reads them back (sync and async)", async () => {
    const f = tf.tensor2d([
      [1.5, -2],
      [3, 4.25]
    ])
    const i = tf.tensor1d([7, -8, 9], "int32")
    const b = tf.tensor1d([true, false, true], "bool")
    const s = tf.tensor1d(["a", "bc"])
    expect(Array.from(f.dataSync())).toEqual([1.5, -2, 3, 4.25])
    expect(await i.data()).toEqual(new Int32Array([7, -8, 9]))
    expect(b.dataSync()).toEqual(new Uint8Array([1, 0, 1]))
    expect(s.arraySync()).toEqual(["a", "bc"])
    expect(tf.add(i, tf.scalar(1, "int32")).dtype).toBe("int32")
    expect(Array.from(tf.sum(i).dataSync())).toEqual([8])
    tf.dispose([f, i, b, s])
  })

  it("frees the libtorch tensor with the last tfjs tensor sharing its data (Reshape shares, like the cpu backend)", () => {
    const addon = loadAddon()
    const backend = tf.engine().backend
    const before = { ids: backend.numDataIds(), live: addon.stats().liveTensors }
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6])
    const y = tf.reshape(x, [2, 3])
    expect(backend.numDataIds()).toBe(before.ids + 1)
    expect(tf.tidy(() => tf.sum(y, 1).arraySync())).toEqual([6, 15])
    x.dispose()
    expect(y.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ])
    expect(addon.stats().liveTensors).toBe(before.live + 1)
    y.dispose()
    expect(backend.numDataIds()).toBe(before.ids)
    expect(addon.stats().liveTensors).toBe(before.live)
    const memory = backend.memory() as { unreliable: boolean; torchTensors: number }
    expect(memory.unreliable).toBe(false)
    expect(memory.torchTensors).toBe(before.live)
  })

  it("takes over tensors made on another backend (tfjs moves their data)", async () => {
    await tf.setBackend("cpu")
    const x = tf.tensor1d([1, 2, 3])
    await tf.setBackend("torch")
    expect(tf.mul(x, 2).arraySync()).toEqual([2, 4, 6])
    x.dispose()
  })

  it("sets intra-op threads", () => {
    expect(registerTorchBackend({ threads: 2 }).threads).toBe(2)
    expect(registerTorchBackend({ threads: 1 }).threads).toBe(1)
  })

  it("an unusable device is a BackendUnavailable from Backend.layerTorch (no CUDA in this libtorch, or no such GPU)", async () => {
    const addon = loadAddon()
    const previous = process.env["REIDFX_DEVICE"]
    process.env["REIDFX_DEVICE"] = "cuda:97"
    try {
      const exit = await Effect.runPromiseExit(Effect.provide(Effect.asVoid(Backend.Backend), Backend.layerTorch))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.toString() : ""
      expect(error).toContain("BackendUnavailable")
      expect(error).toContain("cuda:97")
      const failure = await Effect.runPromise(
        Effect.flip(Effect.provide(Effect.asVoid(Backend.Backend), Backend.layerTorch))
      )
      expect(failure._tag).toBe("BackendUnavailable")
      // one line naming the device and why it cannot be used
      expect(failure.message).toMatch(
        /^tfjs backend "torch" is unavailable: cannot use device "cuda:97" with \d+ thread\(s\): [^\n]+$/
      )
    } finally {
      if (previous === undefined) delete process.env["REIDFX_DEVICE"]
      else process.env["REIDFX_DEVICE"] = previous
    }
    expect(addon.device()).toBe("cpu")
  })
})
