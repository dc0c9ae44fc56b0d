/** Typed handles: a learner's key gives its own model type back from an engine handle, checked. */
import { describe, expect, it } from "@effect/vitest"
import * as Learner from "../src/Learner.ts"

interface Counter {
  readonly count: number
}

describe("handle keys", () => {
  const key = Learner.handleKey<Counter>("Counter")
  const other = Learner.handleKey<Counter>("OtherCounter")

  it("a handle made with a key gives its value back typed by that key only", () => {
    const handle: Learner.ModelHandle = Learner.modelHandle({ count: 3 }, key)
    const frozen: Learner.FrozenModelHandle = Learner.frozenHandle({ count: 4 }, key)
    const value: Counter = Learner.handleValue(handle, key)
    expect([value.count, Learner.handleValue(frozen, key).count]).toEqual([3, 4])
    expect(() => Learner.handleValue(handle, other)).toThrow(
      "a ModelHandle of Counter where one of OtherCounter was expected"
    )
    expect(() => Learner.handleValue(Learner.frozenHandle({ count: 1 }), key)).toThrow(
      "a FrozenModelHandle of a learner without a handle key where one of Counter was expected"
    )
    // a handle without a key is the plain record it always was
    expect(Learner.modelHandle({ count: 1 })).toEqual({ _tag: "ModelHandle", value: { count: 1 } })
  })
})
