import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AttributeAnnotations, Mat5 } from "../src/index.ts"

type V = Mat5.MatValue
const row = (xs: ReadonlyArray<number>): V => ({ _tag: "Numeric", dims: [1, xs.length], data: Float64Array.from(xs) })
const names = (xs: ReadonlyArray<string>): V => ({
  _tag: "Cell",
  dims: [1, xs.length],
  cells: xs.map((t) => ({ _tag: "Char", dims: [1, t.length], text: t }))
})
const struct = (fields: Record<string, V>): V => ({
  _tag: "Struct",
  dims: [1, 1],
  fields: Object.keys(fields),
  elements: [fields]
})
const dir = mkdtempSync(join(tmpdir(), "reidfx-attr-"))
const file = (name: string, value: V, variable = "market_attribute") => {
  const p = join(dir, name)
  writeFileSync(p, Mat5.writeValues([{ name: variable, value }]))
  return p
}

// Market-style: age is 4-valued, the others 1 (no) / 2 (yes); identities as 4-digit names
const market = struct({
  train: struct({
    age: row([1, 3, 2]),
    backpack: row([1, 2, 1]),
    gender: row([2, 1, 1]),
    image_index: names(["0002", "0007", "0010"])
  }),
  test: struct({ age: row([4, 1]), backpack: row([2, 2]), gender: row([1, 2]), image_index: names(["0001", "0003"]) })
})

describe("AttributeAnnotations (Lin et al. market_attribute.mat / duke_attribute.mat)", () => {
  it.effect("reads identity labels: yes = 1, no = 0, a multi-valued attribute one-hot", () =>
    Effect.gen(function* () {
      const a = yield* AttributeAnnotations.read(file("market_attribute.mat", market))
      expect(a.names).toEqual(["age=1", "age=2", "age=3", "age=4", "backpack", "gender"])
      expect(a.train.byIdentity.get(7)).toEqual([0, 0, 1, 0, 1, 0])
      expect(a.train.byIdentity.get(2)).toEqual([1, 0, 0, 0, 0, 1])
      expect(a.test.byIdentity.get(1)).toEqual([0, 0, 0, 1, 1, 0])
      expect([...a.test.byIdentity.keys()]).toEqual([1, 3])
      // items of a split: their identity's labels, -1 for an identity without annotations
      const items = [7, 5].map((id) => ({ source: { _tag: "File" as const, path: `${id}.jpg` }, id, cam: 0 }))
      expect(Array.from(AttributeAnnotations.forItems(a, a.train, items))).toEqual([
        0, 0, 1, 0, 1, 0, -1, -1, -1, -1, -1, -1
      ])
    })
  )

  it.effect("a Duke-style file (binary attributes only) under its own variable name", () =>
    Effect.gen(function* () {
      const duke = struct({
        train: struct({ boots: row([2, 1]), hat: row([1, 1]), image_index: names(["0005", "0012"]) }),
        test: struct({ boots: row([1]), hat: row([2]), image_index: names(["0020"]) })
      })
      const a = yield* AttributeAnnotations.read(file("duke_attribute.mat", duke, "duke_attribute"))
      expect(a.names).toEqual(["boots", "hat"])
      expect(a.train.byIdentity.get(5)).toEqual([1, 0])
      expect(a.test.byIdentity.get(20)).toEqual([0, 1])
    })
  )

  it.effect("a malformed file is a MalformedMetadata naming what is wrong; a missing one a DatasetNotFound", () =>
    Effect.gen(function* () {
      const noTest = yield* Effect.flip(
        AttributeAnnotations.read(
          file("a.mat", struct({ train: struct({ hat: row([1]), image_index: names(["0001"]) }) }))
        )
      )
      expect(noTest.message).toMatch(/no 1x1 struct variable with train and test struct fields/)
      const zero = struct({
        train: struct({ hat: row([0]), image_index: names(["0001"]) }),
        test: struct({ hat: row([1]), image_index: names(["0002"]) })
      })
      expect((yield* Effect.flip(AttributeAnnotations.read(file("b.mat", zero)))).message).toMatch(
        /train\.hat holds 0; labels are 1, 2, \.\.\. \(1 = no\)/
      )
      const short = struct({
        train: struct({ hat: row([1]), image_index: names(["0001", "0002"]) }),
        test: struct({ hat: row([1]), image_index: names(["0003"]) })
      })
      expect((yield* Effect.flip(AttributeAnnotations.read(file("c.mat", short)))).message).toMatch(
        /train\.hat has 1 values for 2 identities/
      )
      expect((yield* Effect.flip(AttributeAnnotations.read(join(dir, "missing.mat"))))._tag).toBe("DatasetNotFound")
    })
  )
})
