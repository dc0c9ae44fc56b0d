/**
 * What the readers of the small LReID-Unseen sets share: reading a torchreid / LReID split file (`splits.json`),
 * drawing a split with the seeded `RandomStream` when no split file is present, and checking that the train
 * identities are disjoint from the test identities.
 *
 * The split files of torchreid (`torchreid/data/datasets/image/{viper,cuhk01,grid}.py`, copied by LReID's
 * `lreid/datasets/*.py`) are lists of splits `{ train, query, gallery }` whose entries are `[path, label, camera]`
 * with **absolute paths of the machine that wrote them** and labels renumbered per split (train and test labels
 * both start at 0). The readers therefore use only each entry's file name (and camera folder) and take
 * identities from the file names themselves, so train and test identities stay distinct and a split file written
 * elsewhere still applies.
 * @since 0.1.0
 */
import * as path from "node:path"
import { RandomStream } from "@reidfx/tensor"
import { Effect } from "effect"
import * as Dataset from "../Dataset.ts"
import { IdentityOverlap, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"

/** Options shared by the readers of split-based sets. */
export interface SplitOptions {
  /** Which split of the split file (default 0, the split LReID evaluates). */
  readonly split?: number
  /** Seed of the split drawn when the dataset folder has no split file (default 0). */
  readonly seed?: number
}

/** Parses a JSON file. */
export const readJson = (file: string): Effect.Effect<unknown, MalformedMetadata> =>
  Effect.flatMap(Files.readText(file), (text) =>
    Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) =>
        new MalformedMetadata({ path: file, detail: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` })
    })
  )

/** The `index`-th element of a split list (a JSON array of objects), or a {@link MalformedMetadata} naming the file. */
export const pickSplit = (
  file: string,
  json: unknown,
  index: number
): Effect.Effect<Record<string, unknown>, MalformedMetadata> => {
  if (!Array.isArray(json) || json.length === 0)
    return Effect.fail(new MalformedMetadata({ path: file, detail: "expected a non-empty JSON array of splits" }))
  const split = json[index] as unknown
  if (split === undefined)
    return Effect.fail(
      new MalformedMetadata({
        path: file,
        detail: `split ${index} does not exist (the file has ${json.length}: 0..${json.length - 1})`
      })
    )
  if (split === null || typeof split !== "object")
    return Effect.fail(new MalformedMetadata({ path: file, detail: `split ${index} is not an object` }))
  return Effect.succeed(split as Record<string, unknown>)
}

/**
 * The file names of a split entry list: strings (`"0001001.jpg"`), numbers (PRID's identities, returned as
 * strings) or torchreid's `[path, label, camera]` triples (the path's last two segments: camera folder and file).
 */
export const entryNames = (
  file: string,
  split: Record<string, unknown>,
  key: string
): Effect.Effect<Array<string>, MalformedMetadata> => {
  const list = split[key]
  if (!Array.isArray(list))
    return Effect.fail(new MalformedMetadata({ path: file, detail: `the split has no "${key}" list` }))
  const out: Array<string> = []
  for (const entry of list as Array<unknown>) {
    const p =
      typeof entry === "string" || typeof entry === "number"
        ? String(entry)
        : Array.isArray(entry) && typeof entry[0] === "string"
          ? entry[0]
          : undefined
    if (p === undefined)
      return Effect.fail(
        new MalformedMetadata({
          path: file,
          detail: `"${key}" entry ${JSON.stringify(entry)} is neither a name nor [path, label, camera]`
        })
      )
    const parts = p.split(/[\\/]/)
    out.push(parts.slice(-2).join("/"))
  }
  return Effect.succeed(out)
}

/** A seeded shuffle (the readers' split when the dataset ships no split file). */
export const shuffled = <A>(items: ReadonlyArray<A>, seed: number, dataset: string): Array<A> =>
  RandomStream.fromSeed(seed, `splits/${dataset}`).shuffle(items)

/** A seeded stream for other draws of a split (iLIDS' query / gallery images). */
export const stream = (seed: number, dataset: string): RandomStream =>
  RandomStream.fromSeed(seed, `splits/${dataset}/images`)

/** Fails with {@link IdentityOverlap} when train and query / gallery identities intersect. */
export const disjoint = (dataset: Dataset.Dataset): Effect.Effect<Dataset.Dataset, IdentityOverlap> => {
  const train = new Set(Dataset.identities(dataset.train))
  const shared = Dataset.identities([...dataset.query, ...dataset.gallery]).filter((id) => train.has(id))
  return shared.length === 0
    ? Effect.succeed(dataset)
    : Effect.fail(new IdentityOverlap({ dataset: dataset.name, identities: shared.slice(0, 5), count: shared.length }))
}

/** An image item. */
export const item = (file: string, id: number, cam: number): Item => ({ source: { _tag: "File", path: file }, id, cam })

/** The image names of a folder, failing with {@link MalformedMetadata} when it has none. */
export const images = (dataset: string, dir: string, layout: string) =>
  Effect.gen(function* () {
    yield* Files.requireDir(dataset, dir, layout)
    const names = yield* Files.listImages(dir)
    if (names.length === 0)
      return yield* new MalformedMetadata({ path: dir, detail: `no image; expected layout:\n${layout}` })
    return names
  })

/** Fails with {@link MalformedMetadata} when a name does not match `pattern`; else its groups. */
export const parseName = (
  dir: string,
  name: string,
  pattern: RegExp,
  expected: string
): Effect.Effect<RegExpExecArray, MalformedMetadata> => {
  const m = pattern.exec(name)
  return m === null
    ? Effect.fail(new MalformedMetadata({ path: path.join(dir, name), detail: `file name does not match ${expected}` }))
    : Effect.succeed(m)
}

/**
 * The train / query / gallery items of a split whose entries name files (`"<folder>/<file>"` keys of `lookup`,
 * see {@link entryNames}); a name that is not in the dataset folder is a {@link MalformedMetadata}.
 */
export const fromEntries = (
  file: string,
  split: Record<string, unknown>,
  lookup: ReadonlyMap<string, Item>
): Effect.Effect<{ train: Array<Item>; query: Array<Item>; gallery: Array<Item> }, MalformedMetadata> =>
  Effect.gen(function* () {
    const pick = (key: string) =>
      Effect.flatMap(entryNames(file, split, key), (names) =>
        Effect.forEach(names, (name) => {
          const found = lookup.get(name) ?? lookup.get(name.split("/").pop()!)
          return found === undefined
            ? Effect.fail(
                new MalformedMetadata({
                  path: file,
                  detail: `"${key}" names ${name}, which is not in the dataset folder`
                })
              )
            : Effect.succeed(found)
        })
      )
    return { train: yield* pick("train"), query: yield* pick("query"), gallery: yield* pick("gallery") }
  })
