/**
 * Lifelong task splits: class-disjoint tasks over one dataset (intra-domain) or a sequence of datasets
 * (inter-domain, the LReID benchmark of Pu et al., CVPR 2021), each task with its seen test set, plus an
 * unseen test set of identities never trained on.
 *
 * **Convention (that of the DwoPP paper, Wang et al.: "the test identities are not seen during training").**
 * A task t has
 * - `train`: the items of its training identities (disjoint from every other task's);
 * - `test`: a query / gallery set of *test* identities of the same domain, themselves disjoint from every
 *   training identity and from the other tasks' test identities (intra-domain: the dataset's test identities
 *   are cut into tasks in the same proportions as the train identities; inter-domain: the dataset's own
 *   query / gallery).
 * The `unseen` test set is made of test identities no task owns (intra-domain: `unseenIdentities` of the
 * dataset's test identities held out; inter-domain: the test sets of extra datasets never trained on).
 * The "seen" score after task t is the average over the test sets of tasks 0..t.
 *
 * **Identities across domains.** In an inter-domain sequence, identity `i` of the dataset of task t becomes
 * `t * 100000 + i` and items carry `domain` (the dataset name), so identities of different datasets never
 * collide; unseen datasets continue the numbering after the last task.
 * @since 0.1.0
 */
import { RandomStream } from "@reidfx/tensor"
import { InvalidOption } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import * as Dataset from "../Dataset.ts"
import type { Item } from "../Item.ts"

/** A query / gallery test set. */
export interface TestSet {
  readonly name: string
  readonly query: ReadonlyArray<Item>
  readonly gallery: ReadonlyArray<Item>
}

/** One task: its training items and its seen test set. */
export interface TaskDefinition {
  readonly index: number
  readonly name: string
  readonly domain: string
  /** Sorted training identities (disjoint across tasks). */
  readonly identities: ReadonlyArray<number>
  readonly train: ReadonlyArray<Item>
  readonly test: TestSet
}

/** A lifelong benchmark: the tasks in training order and the unseen test set. */
export interface TaskSequence {
  readonly name: string
  readonly tasks: ReadonlyArray<TaskDefinition>
  readonly unseen: TestSet
}

/** Task sizes: explicit, or a base task then equal increments. */
export const TaskSizes = Schema.Union([
  Schema.TaggedStruct("Sizes", { sizes: Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))) }),
  Schema.TaggedStruct("BaseIncrements", {
    base: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    increment: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    /** Tasks after the base task. */
    tasks: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
  }),
  Schema.TaggedStruct("Equal", { tasks: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)) })
])
export type TaskSizes = typeof TaskSizes.Type

/** The Market-1501 protocol of the DwoPP paper: 751 train identities as a base task of 76, then 9 tasks of 75. */
export const market1501Protocol: TaskSizes = { _tag: "BaseIncrements", base: 76, increment: 75, tasks: 9 }

/** How one dataset's identities are cut into tasks (sizes, order, held-out unseen identities). */
export interface IntraDomainOptions {
  readonly sizes: TaskSizes
  /** Shuffle identities before cutting (seeded), or keep increasing identity order (default: order). */
  readonly order?: "identity" | { readonly seed: number }
  /** Test identities held out as the unseen test set (default: 20% of the test identities, rounded). */
  readonly unseenIdentities?: number
}

const resolveSizes = (sizes: TaskSizes, total: number): Array<number> => {
  switch (sizes._tag) {
    case "Sizes":
      return [...sizes.sizes]
    case "BaseIncrements":
      return [sizes.base, ...Array.from({ length: sizes.tasks }, () => sizes.increment)]
    case "Equal": {
      const base = Math.floor(total / sizes.tasks)
      return Array.from({ length: sizes.tasks }, (_, t) => base + (t < total % sizes.tasks ? 1 : 0))
    }
  }
}

/** Cuts `ids` into consecutive groups of the given sizes. */
const cut = (ids: ReadonlyArray<number>, sizes: ReadonlyArray<number>): Array<Array<number>> => {
  const out: Array<Array<number>> = []
  let at = 0
  for (const s of sizes) {
    out.push(
      ids
        .slice(at, at + s)
        .slice()
        .sort((a, b) => a - b)
    )
    at += s
  }
  return out
}

/**
 * Integer sizes summing to `total`, at least 1 each when `total` allows, the rest in proportion to the weights
 * (largest remainders).
 */
const proportional = (weights: ReadonlyArray<number>, total: number): Array<number> => {
  const floor = total >= weights.length ? 1 : 0
  const rest = total - floor * weights.length
  const sum = weights.reduce((a, b) => a + b, 0)
  const raw = weights.map((w) => (w / sum) * rest)
  const out = raw.map((r) => Math.floor(r) + floor)
  let left = total - out.reduce((a, b) => a + b, 0)
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left-- <= 0) break
    out[i]!++
  }
  return out
}

const testSet = (name: string, dataset: Dataset.Dataset, ids: ReadonlySet<number>): TestSet => ({
  name,
  query: dataset.query.filter((i) => ids.has(i.id)),
  gallery: dataset.gallery.filter((i) => ids.has(i.id))
})

/**
 * Class-disjoint tasks over one dataset's identities (pure; throws {@link InvalidOption} when the sizes do not
 * fit the data; see {@link intraDomainEffect}).
 */
export const intraDomain = (dataset: Dataset.Dataset, options: IntraDomainOptions): TaskSequence => {
  const trainIds = Dataset.identities(dataset.train)
  const sizes = resolveSizes(options.sizes, trainIds.length)
  const needed = sizes.reduce((a, b) => a + b, 0)
  if (needed > trainIds.length) {
    throw new InvalidOption({
      what: "TaskSplit.intraDomain",
      detail: `the tasks need ${needed} train identities, ${dataset.name} has ${trainIds.length}`
    })
  }
  const order = options.order ?? "identity"
  const shuffle = <A>(xs: ReadonlyArray<A>, name: string) =>
    order === "identity" ? xs.slice() : RandomStream.fromSeed(order.seed, `tasks/${name}`).shuffle(xs)
  const trainGroups = cut(shuffle(trainIds, "train"), sizes)
  const queryIds = new Set(Dataset.identities(dataset.query))
  const testIds = shuffle(
    Dataset.identities(dataset.gallery).filter((id) => queryIds.has(id)),
    "test"
  )
  const nUnseen = Math.min(testIds.length, options.unseenIdentities ?? Math.round(testIds.length * 0.2))
  const pool = testIds.slice(0, testIds.length - nUnseen)
  const unseenIds = testIds.slice(testIds.length - nUnseen)
  const testSizes = proportional(sizes, pool.length)
  if (testSizes.some((s) => s === 0)) {
    throw new InvalidOption({
      what: "TaskSplit.intraDomain",
      detail: `${pool.length} test identities cannot give every one of ${sizes.length} tasks a test set; use fewer tasks or fewer unseen identities`
    })
  }
  const testGroups = cut(pool, testSizes)
  const tasks = trainGroups.map((ids, t): TaskDefinition => {
    const set = new Set(ids)
    return {
      index: t,
      name: `${dataset.name}/task-${t}`,
      domain: dataset.name,
      identities: ids,
      train: dataset.train.filter((i) => set.has(i.id)),
      test: testSet(`${dataset.name}/task-${t}/test`, dataset, new Set(testGroups[t]!))
    }
  })
  return {
    name: `${dataset.name} (${sizes.join("+")})`,
    tasks,
    unseen: testSet(`${dataset.name}/unseen`, dataset, new Set(unseenIds))
  }
}

/** {@link intraDomain} as an Effect. */
export const intraDomainEffect = (
  dataset: Dataset.Dataset,
  options: IntraDomainOptions
): Effect.Effect<TaskSequence, InvalidOption> =>
  Effect.try({
    try: () => intraDomain(dataset, options),
    catch: (e) =>
      e instanceof InvalidOption ? e : new InvalidOption({ what: "TaskSplit.intraDomain", detail: String(e) })
  })

/** How a sequence of datasets becomes tasks (one dataset per task, identities kept per dataset). */
export interface InterDomainOptions {
  /** Train identities kept per dataset, the first N in identity order (LReID: 500). */
  readonly trainIdentities?: number
  /** Test identities kept per dataset: the first N query identities and their gallery images (default: the whole query and gallery). */
  readonly testIdentities?: number
  /** Datasets never trained on, whose test sets form the unseen test set. */
  readonly unseen?: ReadonlyArray<Dataset.Dataset>
}

const OFFSET = 100000

const relabel = (items: ReadonlyArray<Item>, offset: number, domain: string): Array<Item> =>
  items.map((i) => ({ ...i, id: offset + i.id, domain }))

const firstIds = (items: ReadonlyArray<Item>, n: number | undefined): Set<number> => {
  const ids = Dataset.identities(items)
  return new Set(n === undefined ? ids : ids.slice(0, n))
}

/** One task per dataset, in order (LReID): each truncated to its first N train identities. */
export const interDomain = (
  datasets: ReadonlyArray<Dataset.Dataset>,
  options: InterDomainOptions = {}
): TaskSequence => {
  const tasks = datasets.map((d, t): TaskDefinition => {
    const keep = firstIds(d.train, options.trainIdentities)
    // without `testIdentities` the whole query and gallery (distractors included) are kept, as LReID evaluates
    const testKeep = options.testIdentities === undefined ? undefined : firstIds(d.query, options.testIdentities)
    const inTest = (i: Item) => testKeep === undefined || testKeep.has(i.id)
    const train = relabel(
      d.train.filter((i) => keep.has(i.id)),
      t * OFFSET,
      d.name
    )
    return {
      index: t,
      name: `${d.name}`,
      domain: d.name,
      identities: Dataset.identities(train),
      train,
      test: {
        name: `${d.name}/test`,
        query: relabel(d.query.filter(inTest), t * OFFSET, d.name),
        gallery: relabel(d.gallery.filter(inTest), t * OFFSET, d.name)
      }
    }
  })
  const unseen = (options.unseen ?? []).map((d, u) => ({
    query: relabel(d.query, (datasets.length + u) * OFFSET, d.name),
    gallery: relabel(d.gallery, (datasets.length + u) * OFFSET, d.name)
  }))
  return {
    name: datasets.map((d) => d.name).join(" -> "),
    tasks,
    unseen: { name: "unseen", query: unseen.flatMap((u) => u.query), gallery: unseen.flatMap((u) => u.gallery) }
  }
}
