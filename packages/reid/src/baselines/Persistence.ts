/**
 * A method's baseline state (exemplar memory and regulariser state, see `Strategy.ts`) as data in a run's
 * checkpoint, so that a rehearsal / EWC / MAS / SI run resumes after its last completed stage with the numbers
 * of an uninterrupted run. One folder, written atomically (`AtomicFile.writeDir`):
 *
 * - `state.json`: the format, the image size the exemplars were stored at, the memory (per identity, in
 *   selection order: each exemplar's identity, camera, domain, tracklet / frame, and its image: a file path, or
 *   for an in-memory (synthetic) image its key and the offset of its pixels), and the regulariser's kind and
 *   the names, offsets and lengths of its arrays (`Regularizer.toArrays`: anchors, Fisher / importances, SI's W);
 * - `pixels.bin`: the in-memory exemplars' RGB bytes at the training size (a restored exemplar renders these
 *   bytes, resized when asked for another size), since a rendered image's closure cannot be saved;
 * - `arrays.bin`: the regulariser's arrays, float32 little-endian.
 *
 * What is not saved is what restarts with every task anyway: SI's running path integral (so a mid-task
 * checkpoint cannot resume SI: the learner keeps none for it). Loading checks the file against a Schema and
 * the sizes against the files, and fails with `BaselineStateUnreadable` naming the folder.
 * @since 0.4.0
 */
import type { Item } from "@reidfx/data"
import { Image } from "@reidfx/data"
import { AtomicFile, BoundedRead, type WriteFailed } from "@reidfx/tensor"
import { Data, Effect, Schema } from "effect"
import * as path from "node:path"
import type { BaselineState } from "./Strategy.ts"

/** The baseline state folder of a checkpoint is missing, malformed or does not match the method. @category errors */
export class BaselineStateUnreadable extends Data.TaggedError("BaselineStateUnreadable")<{
  readonly dir: string
  readonly reason: string
}> {
  override get message(): string {
    return `the rehearsal / regulariser state in ${this.dir} cannot be restored (${this.reason}); run the unit again with --fresh`
  }
}

/** The size at which in-memory exemplars are stored (the protocol's training size). @category models */
export interface ImageSize {
  readonly height: number
  readonly width: number
}

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

const SavedImage = Schema.Union([
  Schema.TaggedStruct("File", { path: Schema.String }),
  Schema.TaggedStruct("Rendered", { key: Schema.String, offset: Count })
])

const SavedItem = Schema.Struct({
  id: Schema.Int,
  cam: Count,
  tracklet: Schema.optionalKey(Count),
  frame: Schema.optionalKey(Count),
  domain: Schema.optionalKey(Schema.String),
  image: SavedImage
})

/** `state.json`. @category models */
export const SavedState = Schema.Struct({
  format: Schema.Literal("reidfx-baselines/1"),
  height: Count,
  width: Count,
  memory: Schema.optionalKey(Schema.Array(Schema.Tuple([Schema.Int, Schema.Array(SavedItem)]))),
  regularizer: Schema.optionalKey(
    Schema.Struct({
      kind: Schema.String,
      arrays: Schema.Array(Schema.Struct({ name: Schema.String, offset: Count, length: Count }))
    })
  )
})
export type SavedState = typeof SavedState.Type

const SavedStateFromJson = Schema.fromJsonString(SavedState)

/** The files of a state (pure: `state.json`'s value, the pixel bytes, the arrays' bytes). @category math */
export const encode = (
  state: BaselineState,
  size: ImageSize
): { readonly json: SavedState; readonly pixels: Uint8Array; readonly arrays: Uint8Array } => {
  const chunks: Array<Uint8Array> = []
  let offset = 0
  const image = (item: Item.Item): typeof SavedImage.Type => {
    if (item.source._tag === "File") return { _tag: "File", path: item.source.path }
    const img = Image.resize(item.source.render(size.height, size.width), size.height, size.width)
    chunks.push(img.data)
    const at = offset
    offset += img.data.length
    return { _tag: "Rendered", key: item.source.key, offset: at }
  }
  const memory = state.memory?.byIdentity().map(
    ([identity, items]) =>
      [
        identity,
        items.map((item) => ({
          id: item.id,
          cam: item.cam,
          ...(item.tracklet === undefined ? {} : { tracklet: item.tracklet }),
          ...(item.frame === undefined ? {} : { frame: item.frame }),
          ...(item.domain === undefined ? {} : { domain: item.domain }),
          image: image(item)
        }))
      ] as const
  )
  const pixels = new Uint8Array(offset)
  let at = 0
  for (const c of chunks) {
    pixels.set(c, at)
    at += c.length
  }
  const named = state.entry === undefined ? [] : [...state.entry.toArrays(state.state)]
  const total = named.reduce((n, [, v]) => n + v.length, 0)
  const arrays = new Uint8Array(total * 4)
  const view = new DataView(arrays.buffer)
  let k = 0
  const specs = named.map(([name, values]) => {
    const spec = { name, offset: k, length: values.length }
    for (let i = 0; i < values.length; i++) view.setFloat32((k + i) * 4, values[i]!, true)
    k += values.length
    return spec
  })
  const json: SavedState = {
    format: "reidfx-baselines/1",
    height: size.height,
    width: size.width,
    ...(memory === undefined ? {} : { memory }),
    ...(state.entry === undefined ? {} : { regularizer: { kind: state.entry.name, arrays: specs } })
  }
  return { json, pixels, arrays }
}

/** The exemplar whose image is the stored bytes `data` (rendered at any size by resizing them). */
const restoredItem = (saved: typeof SavedItem.Type, size: ImageSize, pixels: Uint8Array): Item.Item | string => {
  const { image, ...rest } = saved
  if (image._tag === "File") return { ...rest, source: { _tag: "File", path: image.path } }
  const length = size.height * size.width * 3
  if (image.offset + length > pixels.length) return `the pixels of ${image.key} lie beyond pixels.bin`
  const stored: Image.RgbImage = {
    height: size.height,
    width: size.width,
    data: pixels.slice(image.offset, image.offset + length)
  }
  return { ...rest, source: { _tag: "Rendered", key: image.key, render: (h, w) => Image.resize(stored, h, w) } }
}

/**
 * Restores a state from its files into `state` (the memory's exemplars, the regulariser's state), after checking
 * that they belong to the same method (memory and regulariser kind). @category math
 */
export const decode = (
  state: BaselineState,
  json: SavedState,
  pixels: Uint8Array,
  arrays: Uint8Array
): string | undefined => {
  if ((json.memory !== undefined) !== (state.memory !== undefined))
    return json.memory === undefined
      ? "no exemplar memory was saved"
      : "an exemplar memory was saved for a method without one"
  const kind = json.regularizer?.kind
  if (kind !== state.entry?.name)
    return `the regulariser saved is ${kind ?? "none"}, the method's ${state.entry?.name ?? "none"}`
  const size = { height: json.height, width: json.width }
  const byIdentity: Array<readonly [number, ReadonlyArray<Item.Item>]> = []
  for (const [identity, saved] of json.memory ?? []) {
    const items: Array<Item.Item> = []
    for (const s of saved) {
      const item = restoredItem(s, size, pixels)
      if (typeof item === "string") return item
      items.push(item)
    }
    byIdentity.push([identity, items])
  }
  const named = new Map<string, Float32Array>()
  const view = new DataView(arrays.buffer, arrays.byteOffset, arrays.byteLength)
  for (const a of json.regularizer?.arrays ?? []) {
    if ((a.offset + a.length) * 4 > arrays.byteLength) return `the array ${a.name} lies beyond arrays.bin`
    named.set(
      a.name,
      Float32Array.from({ length: a.length }, (_, i) => view.getFloat32((a.offset + i) * 4, true))
    )
  }
  state.memory?.restore(byIdentity)
  if (state.entry !== undefined) state.state = state.entry.fromArrays(named)
  return undefined
}

/** Writes the state into the folder `dir` (atomically). @category persistence */
export const save = (
  state: BaselineState,
  dir: string,
  size: ImageSize
): Effect.Effect<void, BaselineStateUnreadable | WriteFailed> =>
  AtomicFile.writeDir(dir, (tmp) =>
    Effect.tryPromise({
      try: async () => {
        const { json, pixels, arrays } = encode(state, size)
        await AtomicFile.writeSyncedPromise(path.join(tmp, "pixels.bin"), pixels)
        await AtomicFile.writeSyncedPromise(path.join(tmp, "arrays.bin"), arrays)
        await AtomicFile.writeSyncedPromise(path.join(tmp, "state.json"), JSON.stringify(json))
      },
      catch: (cause) => new BaselineStateUnreadable({ dir, reason: `writing failed: ${String(cause)}` })
    })
  )

/** Restores the state saved in the folder `dir` into `state`. @category persistence */
export const load = (state: BaselineState, dir: string): Effect.Effect<void, BaselineStateUnreadable> =>
  Effect.gen(function* () {
    const unreadable = (reason: string) => new BaselineStateUnreadable({ dir, reason })
    const text = yield* BoundedRead.readText(path.join(dir, "state.json")).pipe(
      Effect.mapError((e) => unreadable(`state.json: ${BoundedRead.reasonOf(e)}`))
    )
    const json = yield* Schema.decodeUnknownEffect(SavedStateFromJson)(text).pipe(
      Effect.mapError((e) => unreadable(`state.json: ${e.message}`))
    )
    const pixels = yield* BoundedRead.readBytes(path.join(dir, "pixels.bin")).pipe(
      Effect.mapError((e) => unreadable(`pixels.bin: ${BoundedRead.reasonOf(e)}`))
    )
    const arrays = yield* BoundedRead.readBytes(path.join(dir, "arrays.bin")).pipe(
      Effect.mapError((e) => unreadable(`arrays.bin: ${BoundedRead.reasonOf(e)}`))
    )
    const problem = decode(state, json, pixels, arrays)
    if (problem !== undefined) return yield* unreadable(problem)
  })
