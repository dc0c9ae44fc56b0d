/** The test sets of a fake benchmark of `tasks` tasks (the ledger's and the verdicts' tests). */
import type { TestSetInfo } from "../src/Benchmark.ts"

export const fakeTestSets = (tasks: number): ReadonlyArray<TestSetInfo> => [
  ...Array.from({ length: tasks }, (_, t) => ({
    name: `task-${t + 1}`,
    kind: "seen" as const,
    task: t,
    queries: 10,
    gallery: 20
  })),
  { name: "unseen", kind: "unseen" as const, queries: 10, gallery: 20 }
]
