/** Options passed in code are held to the rules of options in files: an unknown key is an error naming the allowed ones. */
import { InvalidOption } from "@reidfx/tensor"
import { describe, expect, it } from "vitest"
import { contrastive, TripletBatchHard, tripletBatchHard } from "../src/index.ts"

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

describe("options in TypeScript", () => {
  it("a misspelt option of tripletBatchHard is an InvalidOption naming it and the allowed keys", () => {
    const error = thrown(() => tripletBatchHard({ margn: 0.3 } as never))
    expect(error).toBeInstanceOf(InvalidOption)
    expect((error as InvalidOption).message).toBe(
      'tripletBatchHard options: unknown key "margn"; allowed: margin, softMargin, reduction, distance, normalize, anchorAsPositive, crossCameraPositives, refSameItems'
    )
  })

  it("the same holds for the plain loss function and for every loss built on the shared decoder", () => {
    expect((thrown(() => TripletBatchHard.decode({ margin: 0.3, softmargin: true })) as InvalidOption).detail).toMatch(
      /^unknown key "softmargin"; allowed: margin, softMargin/
    )
    expect(thrown(() => contrastive({ posMargin: 0, negMarign: 1 } as never))).toBeInstanceOf(InvalidOption)
  })

  it("known keys still decode, with their defaults filled in", () => {
    expect(TripletBatchHard.decode({ margin: 0.5 })).toMatchObject({
      margin: 0.5,
      softMargin: false,
      reduction: "mean"
    })
  })
})
