/**
 * Where the images of `reidfx test` / `search` / `train --layout` come from: a dataset in a real layout
 * (`--layout market1501 --root DIR`, the names of the protocol files' `layout`), a generic CSV manifest
 * (`--manifest file.csv`, `path,id,cam[,split]`) or a plain image list (`--images list.txt`, one path per line,
 * relative to the list's folder; no identities). Every reader is `@reidfx/data`'s.
 * @since 0.1.0
 */
import * as path from "node:path"
import { type Dataset, type Item, Readers } from "@reidfx/data"
import { BoundedRead } from "@reidfx/tensor"
import { DatasetConfig } from "@reidfx/reid"
import { Effect, Option } from "effect"
import { CliError } from "effect/cli"

/** A layout name. */
export type LayoutName = DatasetConfig.LayoutName

/** The layout names, for `--layout`. */
export const layoutNames: ReadonlyArray<LayoutName> = DatasetConfig.layoutNames

/** The images to embed: a dataset with splits, or an unlabelled list. */
export type DatasetSource =
  | { readonly _tag: "Dataset"; readonly dataset: Dataset.Dataset }
  | { readonly _tag: "List"; readonly items: ReadonlyArray<Item.Item>; readonly file: string }

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

/** Reads an image list: one path per line (relative to the list's folder), blank lines and `#` comments skipped. */
export const readImageList = (file: string): Effect.Effect<ReadonlyArray<Item.Item>, CliError.UserError> =>
  BoundedRead.readText(file).pipe(
    Effect.mapError((e) => userError(`--images ${file}: ${e.reason}`)),
    Effect.flatMap((text) => {
      const lines = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !l.startsWith("#"))
      if (lines.length === 0) return Effect.fail(userError(`--images ${file}: the list holds no image path`))
      const dir = path.dirname(file)
      return Effect.succeed(
        lines.map((l): Item.Item => ({ source: { _tag: "File", path: path.resolve(dir, l) }, id: -1, cam: 0 }))
      )
    })
  )

/** The source named by the flags (exactly one of layout + root, manifest, image list). */
export const fromFlags = (flags: {
  readonly layout: Option.Option<LayoutName>
  readonly root: Option.Option<string>
  readonly manifest: Option.Option<string>
  readonly images: Option.Option<string>
}): Effect.Effect<DatasetSource, CliError.UserError> =>
  Effect.gen(function* () {
    const given = [
      Option.isSome(flags.layout) || Option.isSome(flags.root),
      Option.isSome(flags.manifest),
      Option.isSome(flags.images)
    ].filter(Boolean).length
    if (given !== 1) {
      return yield* Effect.fail(
        userError(
          `give exactly one data source: --layout <${DatasetConfig.canonicalLayoutNames.join("|")}> --root DIR, --manifest file.csv, or --images list.txt`
        )
      )
    }
    if (Option.isSome(flags.images))
      return { _tag: "List" as const, items: yield* readImageList(flags.images.value), file: flags.images.value }
    const dataset = Option.isSome(flags.manifest)
      ? yield* Readers.manifest(flags.manifest.value).pipe(Effect.mapError((e) => userError(e.message)))
      : Option.isSome(flags.layout) && Option.isSome(flags.root)
        ? yield* DatasetConfig.readLayout(flags.layout.value, flags.root.value).pipe(
            Effect.mapError((e) => userError(e.message))
          )
        : yield* Effect.fail(userError("give both --layout and --root (the dataset's folder)"))
    if (dataset.kind === "video") {
      return yield* Effect.fail(
        userError(`${dataset.name}: a video dataset (tracklets); reidfx test embeds image datasets only`)
      )
    }
    return { _tag: "Dataset" as const, dataset }
  })

/** The file path of an item (every reader gives files; a rendered item has none). */
export const pathOf = (item: Item.Item): string =>
  item.source._tag === "File" ? item.source.path : `<${item.source._tag}>`
