/**
 * Type-level tests: an Objective built from distillation terms requires the models they learn from. The
 * `@ts-expect-error` lines are checked by `npm run typecheck` (tsc includes the tests); they fail the build if
 * the requirement disappears.
 */
import { Objective, type Term } from "@reidfx/metric"
import { Effect, type Layer } from "effect"
import { describe, expect, it } from "vitest"
import {
  dwopp,
  dwpp,
  logitsKD,
  lwf,
  metricMutual,
  mutualLogitsKD,
  mutualTripletContrast,
  type OldModel,
  pairwiseDistance,
  type Peer,
  rkdAngle,
  rkdDistance,
  darkRank,
  mutualDarkRank,
  localMetricMutual,
  Source,
  Teacher,
  tripletContrast
} from "../src/index.ts"

type Needs<T> = T extends Term.Term<infer R> ? R : never
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <_T extends true>() => undefined

describe("requirements in the types", () => {
  it("each term requires the model it learns from", () => {
    assertType<Equal<Needs<ReturnType<typeof logitsKD<Teacher>>>, Teacher>>()
    assertType<Equal<Needs<(typeof teacherTerms)[number]>, Teacher>>()
    assertType<Equal<Needs<(typeof oldModelTerms)[number]>, OldModel>>()
    assertType<Equal<Needs<(typeof peerTerms)[number]>, Peer>>()
    assertType<Equal<Needs<ReturnType<typeof dwopp<Teacher>>>, Teacher>>()
    const objective: Layer.Layer<Objective.Objective, never, Teacher | OldModel | Peer> = Objective.layer(
      logitsKD(),
      dwopp(),
      mutualLogitsKD()
    )
    expect(objective).toBeDefined()
  })

  it("an Objective with a Teacher term does not run until a Teacher is provided", async () => {
    const program = Effect.map(Objective.Objective, (o) => o.formula)
    const needsTeacher = Effect.provide(program, Objective.layer(logitsKD({ temperature: 3 })))
    // @ts-expect-error: Teacher is not provided
    const missing: Effect.Effect<string> = needsTeacher
    expect(missing).toBeDefined()
    const provided: Effect.Effect<string> = Effect.provide(
      needsTeacher,
      Teacher.fromForward((x) => ({ features: x as never }))
    )
    expect(await Effect.runPromise(provided)).toBe("1 * logitsKD(temperature=3, from=teacher)")
  })
})

const teacherTerms = [logitsKD(), pairwiseDistance(), tripletContrast(), rkdDistance(), rkdAngle(), darkRank()] as const
const oldModelTerms = [lwf(), dwpp(), dwopp(), pairwiseDistance({}, Source.oldModel)] as const
const peerTerms = [
  mutualLogitsKD(),
  mutualTripletContrast(),
  metricMutual(),
  pairwiseDistance({}, Source.peer),
  mutualDarkRank(),
  localMetricMutual()
] as const
