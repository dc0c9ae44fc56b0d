import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { InvalidOption, Registry } from "../src/index.ts"

interface Shape extends Registry.Entry {
  readonly sides: number
}
const square: Shape = { name: "square", description: "four sides", sides: 4 }
const triangle: Shape = { name: "triangle", aliases: ["trigon"], description: "three sides", sides: 3 }

describe("Registry", () => {
  const shapes = Registry.make("shape", [square, triangle])

  it("finds entries by name and alias, lists names and spellings", () => {
    expect(shapes.get("trigon")?.sides).toBe(3)
    expect(shapes.get("square")?.sides).toBe(4)
    expect(shapes.get("circle")).toBeUndefined()
    expect(shapes.names).toEqual(["square", "triangle"])
    expect(shapes.spellings).toEqual(["square", "triangle", "trigon"])
  })

  it("refuses an unknown name with the known ones, and a name taken twice", () => {
    expect(() => shapes.require("circle")).toThrow(/unknown name "circle"; known: square, triangle/)
    expect(() => shapes.with({ name: "trigon", description: "", sides: 3 })).toThrow(InvalidOption)
    expect(() => shapes.with({ name: "square", description: "", sides: 4 })).toThrow(/already taken by square/)
  })

  it("with() extends a copy and leaves the original", () => {
    const more = shapes.with({ name: "pentagon", description: "five sides", sides: 5 })
    expect(more.names).toEqual(["square", "triangle", "pentagon"])
    expect(shapes.get("pentagon")).toBeUndefined()
  })

  it("nameSchema decodes aliases to the canonical name and refuses the rest", () => {
    const S = Registry.nameSchema<"square" | "triangle">(shapes)
    expect(Schema.decodeUnknownSync(S)("trigon")).toBe("triangle")
    expect(Schema.decodeUnknownSync(S)("square")).toBe("square")
    expect(Schema.encodeSync(S)("triangle")).toBe("triangle")
    expect(() => Schema.decodeUnknownSync(S)("circle")).toThrow()
    expect(S.literals).toEqual(["square", "triangle"])
    const plain = Registry.nameSchema(Registry.make("shape", [square]))
    expect(Schema.decodeUnknownSync(plain)("square")).toBe("square")
  })
})
