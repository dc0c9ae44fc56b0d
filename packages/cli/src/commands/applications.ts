/**
 * Shared parts of the application commands (`verify`, `identify`, `cluster`): reading feature and identity
 * files with `reidfx eval`'s readers, and writing results as files (JSON, pictures). Every input problem ends
 * in a one-line message.
 * @since 0.1.0
 */
import { type FeatureMatrix, parseFeatureFile } from "@reidfx/eval"
import { Console, Effect, FileSystem, Option, Path } from "effect"
import { Flag } from "effect/cli"
import { fromFailure, read, single, userError } from "./eval.ts"

/** A required file flag. */
export const fileFlag = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description))

/** The `--metric` flag (default cosine for the applications). */
export const metricFlag = Flag.Literals("metric", ["euclidean", "squaredEuclidean", "cosine"]).pipe(
  Flag.withDefault("cosine" as const),
  Flag.withDescription("Distance between features (default cosine)")
)

/** The `--out` folder flag. */
export const outFlag = (command: string) =>
  Flag.String("out").pipe(
    Flag.withDefault(`runs/${command}`),
    Flag.withDescription(`Folder for the results (default runs/${command})`)
  )

/** A feature matrix from a .npy / .json / .csv file. */
export const readFeatures = (path: string) =>
  Effect.flatMap(read(path), (bytes) => fromFailure((): FeatureMatrix => parseFeatureFile(bytes, path)))

/** Identities from a one-column file, checked against the number of feature rows. */
export const readIds = (path: string, flag: string, rows: number) =>
  Effect.gen(function* () {
    const ids = yield* single(path, flag)
    if (ids.length !== rows)
      return yield* Effect.fail(userError(`${flag} ${path}: ${ids.length} identities for ${rows} feature rows`))
    return ids
  })

/** Optional identities. */
export const readOptionalIds = (path: Option.Option<string>, flag: string, rows: number) =>
  Option.isNone(path)
    ? Effect.succeed(undefined)
    : Effect.map(readIds(path.value, flag, rows), (ids): ArrayLike<number> | undefined => ids)

/** Writes `files` (name -> text) under `dir`, creating it; logs each path. */
export const writeResults = (dir: string, files: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    yield* fs
      .makeDirectory(dir, { recursive: true })
      .pipe(Effect.mapError((e) => userError(`cannot create ${dir}: ${e.message}`)))
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(dir, name)
      yield* fs
        .writeFileString(file, text)
        .pipe(Effect.mapError((e) => userError(`cannot write ${file}: ${e.message}`)))
      yield* Console.log(`wrote ${file}`)
    }
  })

/** A finite number in [lo, hi] or a one-line error naming the flag. */
export const checkRange = (value: number, flag: string, lo: number, hi: number) =>
  value >= lo && value <= hi
    ? Effect.succeed(value)
    : Effect.fail(userError(`--${flag}: ${value} is not in [${lo}, ${hi}]`))
