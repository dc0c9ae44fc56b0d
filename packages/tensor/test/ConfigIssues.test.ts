import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { ConfigIssues } from "../src/index.ts"

const Stage = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("train"), epochs: Schema.optionalKey(Schema.Number) }),
  Schema.Struct({ kind: Schema.Literal("evaluate"), every: Schema.optionalKey(Schema.Number) })
])
const Config = Schema.Struct({
  name: Schema.String,
  size: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 9 })),
  stages: Schema.Array(Stage)
})

const explain = (input: unknown) => {
  const r = Schema.decodeUnknownResult(Config)(input, { onExcessProperty: "error", errors: "all" })
  if (!Result.isFailure(r)) throw new Error("expected a failure")
  return ConfigIssues.explainAll(Config.ast, input, r.failure.issue)
}

describe("ConfigIssues: the one error explainer", () => {
  it("names the key path, what is allowed (narrowed by the kind) and the value the file holds", () => {
    const issues = explain({ name: "x", size: 12, stages: [{ kind: "train", every: 2 }, { kind: "trian" }], extra: 1 })
    expect(issues).toContainEqual({ path: "size", message: "Expected a value between 1 and 9 (got 12)" })
    expect(issues).toContainEqual({ path: "extra", message: 'unknown key "extra"; allowed keys: name, size, stages' })
    // the train member's keys only: its kind selects it
    expect(issues).toContainEqual({
      path: "stages[0].every",
      message: 'unknown key "every"; allowed keys: kind, epochs'
    })
    expect(issues).toContainEqual({
      path: "stages[1].kind",
      message: 'kind must be one of "train", "evaluate", got "trian"'
    })
  })

  it("paths and lines are written one way", () => {
    expect(ConfigIssues.showPath([])).toBe("(root)")
    expect(ConfigIssues.showPath(["data", "world", 2, "cameras"])).toBe("data.world[2].cameras")
    expect(ConfigIssues.lines([{ path: "a.b", message: "bad" }])).toBe("  - at a.b: bad")
  })
})
