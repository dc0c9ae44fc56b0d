/**
 * The benchmark of a protocol on `@reidfx/data`: the synthetic world (or a dataset in a real layout), cut into
 * tasks by `TaskSplit.intraDomain` / `TaskSplit.interDomain`. Each task's training data is `@reidfx/data`'s
 * scoped `TaskData` (itself closed when the task ends), wrapped by the engine's `TaskData`.
 *
 * Labels: the training identities get global labels in task order (task 0's identities first), and a task's
 * payload holds the labels of that task and the earlier ones only, so the classifier, which grows with each
 * task, keeps the old classes first (what LwF reads) and never sees a later task's identity.
 * @since 0.1.0
 */
import { Dataset, LayoutCatalog, Synthetic, TaskData as DataTaskData, TaskSplit } from "@reidfx/data"
import { Data, Effect, Layer } from "effect"
import { Benchmark as Benchmarks } from "@reidfx/continual"
import type { DomainTask, IntraDomainSplit, Protocol, World } from "../Protocol.ts"
import * as DataRoots from "./DataRoots.ts"

const { Benchmark, BenchmarkError } = Benchmarks
type Benchmark = Benchmarks.Benchmark
type BenchmarkError = Benchmarks.BenchmarkError
type BenchmarkService = Benchmarks.BenchmarkService
type TaskInfo = Benchmarks.TaskInfo
type TestSetInfo = Benchmarks.TestSetInfo

/** What `openTask` / `openJoint` give the learner. */
export interface TrainPayload {
  /** The task's training items (through `@reidfx/data`'s scoped task data). */
  readonly data: DataTaskData.TaskData
  /** Global label of the training identities of this task and the earlier ones (never a later task's). */
  readonly labels: ReadonlyMap<number, number>
  /** Classes of the tasks before this one (the old classes, first in the classifier). */
  readonly oldClasses: number
}

/** What `openTestSet` gives the learner. */
export type TestPayload = TaskSplit.TestSet

/** Reads a dataset in one of the real layouts (its `@reidfx/data` `LayoutCatalog` entry's reader). */
const readLayout = (world: Extract<World, { kind: "layout" }>) =>
  LayoutCatalog.builtin.require(world.layout).read(world.root)

/** The `@reidfx/data` domain of a synthetic world, if it declares one (a bad parameter is a `BenchmarkError`). */
const domainOf = (
  world: Extract<World, { kind: "synthetic" }>
): Effect.Effect<{ readonly domain?: Synthetic.Domain.Domain }, BenchmarkError> =>
  world.domain === undefined
    ? Effect.succeed({})
    : Effect.try({
        try: () => ({ domain: Synthetic.Domain.resolve(world.domain!) }),
        catch: (cause) => new BenchmarkError({ operation: "synthetic domain", cause })
      })

/** The dataset of a world (a synthetic world renders at the protocol's training size). */
export const worldDataset = (
  world: World,
  size: { readonly height: number; readonly width: number }
): Effect.Effect<Dataset.Dataset, BenchmarkError> =>
  world.kind === "synthetic"
    ? Effect.flatMap(domainOf(world), (domain) =>
        Synthetic.make({
          kind: world.objects === "vehicles" ? "vehicle" : "person",
          seed: world.seed,
          identities: world.identities,
          ...(world.trainIdentities === undefined ? {} : { trainIdentities: world.trainIdentities }),
          cameras: world.cameras,
          imagesPerCamera: world.imagesPerCamera,
          height: size.height,
          width: size.width,
          difficulty: Synthetic.presets[world.difficulty],
          ...domain
        }).pipe(
          Effect.map((w) => w.dataset),
          Effect.mapError((cause) => new BenchmarkError({ operation: "synthetic world", cause }))
        )
      )
    : readLayout(world).pipe(
        Effect.mapError((cause) => new BenchmarkError({ operation: `dataset ${world.layout} at ${world.root}`, cause }))
      )

const sizesOf = (split: IntraDomainSplit, trainIdentities: number): TaskSplit.TaskSizes => {
  if (split.baseIdentities === undefined) return { _tag: "Equal", tasks: split.tasks }
  const rest = split.tasks - 1
  const increment = rest === 0 ? 1 : Math.floor((trainIdentities - split.baseIdentities) / rest)
  return { _tag: "BaseIncrements", base: split.baseIdentities, increment: Math.max(1, increment), tasks: rest }
}

/** Builds the task sequence of a protocol. */
export const sequenceOf = (protocol: Protocol): Effect.Effect<TaskSplit.TaskSequence, BenchmarkError> =>
  Effect.gen(function* () {
    const size = { height: protocol.training.height, width: protocol.training.width }
    const split = protocol.data.split
    if (split.kind === "intraDomain") {
      const dataset = yield* worldDataset(split.world, size)
      const trainIds = Dataset.identities(dataset.train).length
      return yield* TaskSplit.intraDomainEffect(dataset, {
        sizes: sizesOf(split, trainIds),
        order:
          split.order === "shuffled" ? { seed: split.world.kind === "synthetic" ? split.world.seed : 0 } : "identity",
        unseenIdentities: split.unseenIdentities
      }).pipe(Effect.mapError((cause) => new BenchmarkError({ operation: "intra-domain split", cause })))
    }
    const named = (d: Dataset.Dataset, name: string): Dataset.Dataset => ({ ...d, name })
    // `testIdentities: all` keeps the whole query and gallery (LReID); otherwise the first N test identities
    const cut = (d: Dataset.Dataset, t: DomainTask): Dataset.Dataset =>
      t.testIdentities === "all"
        ? { ...d, train: Dataset.truncate(d, t.identities).train }
        : { ...Dataset.truncate(d, t.testIdentities ?? t.identities), train: Dataset.truncate(d, t.identities).train }
    const datasets: Array<Dataset.Dataset> = []
    for (const t of split.sequence) datasets.push(named(yield* worldDataset(t.world, size), t.name))
    const unseen: Array<Dataset.Dataset> = []
    for (const t of split.unseen) unseen.push(cut(named(yield* worldDataset(t.world, size), t.name), t))
    return yield* Effect.try({
      try: () => {
        const truncated = datasets.map((d, i) => cut(d, split.sequence[i]!))
        return TaskSplit.interDomain(truncated, { unseen })
      },
      catch: (cause) => new BenchmarkError({ operation: "inter-domain split", cause })
    })
  })

const testSetName = (protocol: Protocol, t: number, task: TaskSplit.TaskDefinition): string =>
  protocol.data.split.kind === "interDomain" ? task.domain : `task-${t + 1}`

/**
 * Identities that are both trained on (in some task) and tested on (in a seen or unseen test set): a dataset
 * on disk whose split is not identity-disjoint. The lifelong rule "the test identities are not seen during
 * training" makes this an error, naming the identities and where they are.
 */
export class SharedIdentities extends Data.TaggedError("SharedIdentities")<{
  readonly shared: ReadonlyArray<{ readonly id: number; readonly task: string; readonly testSet: string }>
}> {
  override get message(): string {
    const shown = this.shared
      .slice(0, 10)
      .map((s) => `${s.id} (trained in ${s.task}, tested in ${s.testSet})`)
      .join(", ")
    return `${this.shared.length} identities are both trained on and tested on: ${shown}${this.shared.length > 10 ? ", ..." : ""}; make the test identities disjoint from the training ones`
  }
}

/** The identities a sequence's tasks train on that a test set also holds (empty when the split is clean). */
export const sharedIdentities = (sequence: TaskSplit.TaskSequence): SharedIdentities["shared"] => {
  const trainedIn = new Map<number, string>()
  for (const t of sequence.tasks) for (const id of t.identities) trainedIn.set(id, t.name)
  const out: Array<{ id: number; task: string; testSet: string }> = []
  const seen = new Set<number>()
  for (const set of [...sequence.tasks.map((t) => t.test), sequence.unseen]) {
    for (const item of [...set.query, ...set.gallery]) {
      const task = trainedIn.get(item.id)
      if (task !== undefined && !seen.has(item.id)) {
        seen.add(item.id)
        out.push({ id: item.id, task, testSet: set.name })
      }
    }
  }
  return out
}

/**
 * The benchmark of a protocol as a service value. Dataset roots are resolved first (`$REIDFX_DATA`, see
 * `DataRoots`): every missing folder is reported at once, before anything is read.
 */
export const make = (protocol: Protocol): Effect.Effect<BenchmarkService, BenchmarkError> =>
  Effect.gen(function* () {
    const resolved = yield* DataRoots.resolveFromConfig(protocol).pipe(
      Effect.mapError((cause) => new BenchmarkError({ operation: "dataset folders", cause }))
    )
    const sequence = yield* sequenceOf(resolved)
    const shared = sharedIdentities(sequence)
    if (shared.length > 0)
      return yield* new BenchmarkError({
        operation: "identity-disjoint split",
        cause: new SharedIdentities({ shared })
      })
    const order: Array<number> = []
    const oldClasses: Array<number> = []
    for (const task of sequence.tasks) {
      oldClasses.push(order.length)
      for (const id of task.identities) order.push(id)
    }
    const labels = new Map(order.map((id, i) => [id, i] as const))
    const tasks: Array<TaskInfo> = sequence.tasks.map((t, i) => ({
      index: i,
      name: `task-${i + 1}`,
      identities: t.identities.length,
      images: t.train.length
    }))
    const testSets: Array<TestSetInfo> = [
      ...sequence.tasks.map(
        (t, i): TestSetInfo => ({
          name: testSetName(protocol, i, t),
          kind: "seen",
          task: i,
          queries: t.test.query.length,
          gallery: t.test.gallery.length
        })
      ),
      { name: "unseen", kind: "unseen", queries: sequence.unseen.query.length, gallery: sequence.unseen.gallery.length }
    ]
    const byName = new Map<string, TaskSplit.TestSet>([
      ...sequence.tasks.map((t, i) => [testSets[i]!.name, t.test] as const),
      ["unseen", sequence.unseen] as const
    ])
    const joint: TaskSplit.TaskDefinition = {
      index: sequence.tasks.length - 1,
      name: "joint",
      domain: "all",
      identities: order.slice().sort((a, b) => a - b),
      train: sequence.tasks.flatMap((t) => t.train),
      test: sequence.unseen
    }
    const service: BenchmarkService = {
      name: sequence.name,
      tasks,
      testSets,
      totalIdentities: order.length,
      openTask: (task) =>
        Effect.map(
          DataTaskData.open(sequence.tasks[task]!),
          (data): TrainPayload => ({
            data,
            labels: new Map(
              order
                .slice(0, oldClasses[task]! + sequence.tasks[task]!.identities.length)
                .map((id, i) => [id, i] as const)
            ),
            oldClasses: oldClasses[task]!
          })
        ),
      openJoint: Effect.map(DataTaskData.open(joint), (data): TrainPayload => ({ data, labels, oldClasses: 0 })),
      openTestSet: (name) => {
        const set = byName.get(name)
        return set === undefined
          ? Effect.fail(
              new BenchmarkError({ operation: `test set ${name}`, cause: new Error(`no test set named ${name}`) })
            )
          : Effect.succeed(set)
      }
    }
    return service
  })

/** The benchmark of a protocol as a layer. @category layers */
export const layer = (protocol: Protocol): Layer.Layer<Benchmark, BenchmarkError> =>
  Layer.effect(Benchmark, make(protocol))
