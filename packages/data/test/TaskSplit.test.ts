import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope, Stream } from "effect"
import * as fc from "fast-check"
import * as Dataset from "../src/Dataset.ts"
import type { Item } from "../src/Item.ts"
import * as TaskData from "../src/tasks/TaskData.ts"
import * as TaskSplit from "../src/tasks/TaskSplit.ts"

const file = (id: number, cam: number, n: number): Item => ({
  source: { _tag: "File", path: `${id}_${cam}_${n}.jpg` },
  id,
  cam
})

/** A Market-like index: `train` identities 1..train, test identities after them (query: 1 per cam, gallery: 2 per cam). */
const fakeDataset = (train: number, test: number): Dataset.Dataset => {
  const items = (ids: ReadonlyArray<number>, perCam: number) =>
    ids.flatMap((id) => [0, 1].flatMap((cam) => Array.from({ length: perCam }, (_, n) => file(id, cam, n))))
  const trainIds = Array.from({ length: train }, (_, i) => i + 1)
  const testIds = Array.from({ length: test }, (_, i) => train + i + 1)
  return {
    name: "fake",
    kind: "image",
    train: items(trainIds, 2),
    query: items(testIds, 1),
    gallery: items(testIds, 2)
  }
}

const disjoint = (groups: ReadonlyArray<ReadonlyArray<number>>) => {
  const all = groups.flat()
  return new Set(all).size === all.length
}

describe("TaskSplit.intraDomain", () => {
  it("the Market-1501 protocol of DwoPP: 751 train identities as 76 + 9 x 75", () => {
    const seq = TaskSplit.intraDomain(fakeDataset(751, 750), { sizes: TaskSplit.market1501Protocol })
    expect(seq.tasks.map((t) => t.identities.length)).toEqual([76, 75, 75, 75, 75, 75, 75, 75, 75, 75])
    expect(disjoint(seq.tasks.map((t) => t.identities))).toBe(true)
    expect(seq.tasks.flatMap((t) => t.identities).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 751 }, (_, i) => i + 1)
    )
    // test identities: 750 - 150 unseen = 600, cut in proportion; disjoint from train and between tasks
    const testGroups = seq.tasks.map((t) => Dataset.identities(t.test.query))
    expect(testGroups.flat().length).toBe(600)
    expect(disjoint([...testGroups, Dataset.identities(seq.unseen.query)])).toBe(true)
    expect(Dataset.identities(seq.unseen.query).length).toBe(150)
    for (const t of seq.tasks) {
      expect(Dataset.identities(t.test.gallery)).toEqual(Dataset.identities(t.test.query))
      for (const id of Dataset.identities(t.test.query)) expect(id).toBeGreaterThan(751)
    }
  })

  it("task splits are class-disjoint and cover the identities (any sizes, any seed)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.option(fc.integer(), { nil: undefined }),
        (sizes, extra, seed) => {
          const total = sizes.reduce((a, b) => a + b, 0)
          const ds = fakeDataset(total + extra, sizes.length * 2 + 3)
          const seq = TaskSplit.intraDomain(ds, {
            sizes: { _tag: "Sizes", sizes },
            ...(seed === undefined ? {} : { order: { seed } })
          })
          expect(seq.tasks.map((t) => t.identities.length)).toEqual(sizes)
          expect(disjoint(seq.tasks.map((t) => t.identities))).toBe(true)
          const covered = new Set(seq.tasks.flatMap((t) => t.identities))
          expect(covered.size).toBe(total)
          for (const t of seq.tasks) {
            expect(Dataset.identities(t.train)).toEqual(t.identities)
            expect(t.train.length).toBe(t.identities.length * 4)
          }
          const tests = seq.tasks.map((t) => Dataset.identities(t.test.query))
          for (const g of tests) expect(g.length).toBeGreaterThanOrEqual(1)
          expect(disjoint([...tests, Dataset.identities(seq.unseen.query), [...covered]])).toBe(true)
        }
      ),
      { numRuns: 50 }
    )
  })

  it("equal tasks, and sizes that do not fit are an InvalidOption", () => {
    const seq = TaskSplit.intraDomain(fakeDataset(10, 10), { sizes: { _tag: "Equal", tasks: 3 } })
    expect(seq.tasks.map((t) => t.identities.length)).toEqual([4, 3, 3])
    const exit = Effect.runSyncExit(
      TaskSplit.intraDomainEffect(fakeDataset(10, 10), { sizes: { _tag: "Sizes", sizes: [6, 6] } })
    )
    expect(String(exit)).toMatch(/need 12 train identities, fake has 10/)
  })
})

describe("TaskSplit.interDomain", () => {
  it("one task per dataset, truncated to the first N identities, identities kept apart by domain", () => {
    const a = { ...fakeDataset(8, 4), name: "a" }
    const b = { ...fakeDataset(6, 4), name: "b" }
    const c = { ...fakeDataset(3, 5), name: "c" }
    const seq = TaskSplit.interDomain([a, b], { trainIdentities: 5, unseen: [c] })
    expect(seq.tasks.map((t) => t.identities.length)).toEqual([5, 5])
    expect(seq.tasks[0]!.identities).toEqual([1, 2, 3, 4, 5])
    expect(seq.tasks[1]!.identities).toEqual([100001, 100002, 100003, 100004, 100005])
    expect(seq.tasks[1]!.train.every((i) => i.domain === "b")).toBe(true)
    expect(Dataset.identities(seq.tasks[1]!.test.query)).toEqual([100007, 100008, 100009, 100010])
    expect(Dataset.identities(seq.unseen.query)).toEqual([200004, 200005, 200006, 200007, 200008])
    expect(seq.name).toBe("a -> b")
  })

  it("without testIdentities the whole gallery stays (distractors too); with it, the first N query identities and their gallery", () => {
    const distractor = { source: { _tag: "File" as const, path: "d.jpg" }, id: 0, cam: 1 }
    const a = { ...fakeDataset(4, 4), name: "a" }
    const withDistractor = { ...a, gallery: [...a.gallery, distractor] }
    const whole = TaskSplit.interDomain([withDistractor])
    expect(whole.tasks[0]!.test.gallery).toHaveLength(a.gallery.length + 1)
    expect(Dataset.identities(whole.tasks[0]!.test.gallery)).toContain(0)
    const cut = TaskSplit.interDomain([withDistractor], { testIdentities: 2 })
    expect(Dataset.identities(cut.tasks[0]!.test.query)).toEqual(Dataset.identities(a.query).slice(0, 2))
    expect(Dataset.identities(cut.tasks[0]!.test.gallery)).toEqual(Dataset.identities(a.query).slice(0, 2))
  })
})

describe("TaskData", () => {
  it.effect("a task's training data is readable while its scope is open and fails with TaskDataClosed after", () =>
    Effect.gen(function* () {
      const seq = TaskSplit.intraDomain(fakeDataset(6, 6), { sizes: { _tag: "Equal", tasks: 2 } })
      const scope = yield* Scope.make()
      const data = yield* TaskData.open(seq.tasks[0]!).pipe(Scope.provide(scope))
      expect((yield* data.train).length).toBe(12)
      yield* Scope.close(scope, Exit.void)
      expect(data.isOpen()).toBe(false)
      const err = yield* Effect.flip(data.train)
      expect(err._tag).toBe("TaskDataClosed")
      expect(err.message).toMatch(/task 0: its data was read \("train"\) after the task ended/)
      expect(() => data.trainSync()).toThrow(/after the task ended/)
      // the seen test set stays readable for evaluation
      expect(data.test.query.length).toBeGreaterThan(0)
    })
  )

  it.effect("the task stream closes each task before emitting the next", () =>
    Effect.gen(function* () {
      const seq = TaskSplit.intraDomain(fakeDataset(9, 9), { sizes: { _tag: "Equal", tasks: 3 } })
      const handles: Array<TaskData.TaskData> = []
      const openWhileCurrent: Array<boolean> = []
      yield* TaskData.stream(seq).pipe(
        Stream.runForEach((task) =>
          Effect.sync(() => {
            openWhileCurrent.push(task.isOpen() && handles.every((h) => !h.isOpen()))
            handles.push(task)
          })
        )
      )
      expect(openWhileCurrent).toEqual([true, true, true])
      expect(handles.map((h) => h.isOpen())).toEqual([false, false, false])
    })
  )
})

describe("Dataset.groupTracklets", () => {
  it("groups each (split, identity, camera) into one tracklet with frames in path order", () => {
    const ds: Dataset.Dataset = {
      name: "veri",
      kind: "image",
      train: [file(1, 0, 2), file(1, 0, 1), file(1, 1, 0), file(2, 0, 0)],
      query: [file(3, 0, 0)],
      gallery: [file(3, 1, 0), file(3, 1, 1)]
    }
    const v = Dataset.groupTracklets(ds)
    expect(v.kind).toBe("video")
    const tracks = Dataset.tracklets(v.train)
    expect(tracks.map((t) => [t.id, t.cam, t.frames.length])).toEqual([
      [1, 0, 2],
      [1, 1, 1],
      [2, 0, 1]
    ])
    expect(tracks[0]!.frames.map((f) => (f.source._tag === "File" ? f.source.path : ""))).toEqual([
      "1_0_1.jpg",
      "1_0_2.jpg"
    ])
    const all = [...v.train, ...v.query, ...v.gallery].map((i) => i.tracklet)
    expect(new Set(all).size).toBe(5)
  })
})
