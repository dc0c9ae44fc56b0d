/**
 * The `weights` field of config files (lifelong and MDKT protocols, training runs, distillation teachers): start a
 * model from an imported file instead of a random initialisation.
 *
 * ```yaml
 * weights: pretrained/resnet50.safetensors          # the backbone of a torchvision checkpoint
 * weights: { path: teacher.safetensors, part: all, layout: fastreid }
 * ```
 *
 * A string is a path (relative paths resolve against the working directory) whose backbone is imported, the common
 * case of an ImageNet-pretrained start; the object form chooses the layout, the part and strictness (see
 * `Import.ImportOptions`). A `.safetensors` or `.npz` file is a PyTorch state dict; a directory is reidfx's own
 * weights directory (`Weights.save`), loaded by reidfx names.
 * @since 0.1.0
 */
import type { PathEscapesRoot } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import { WeightsIOError, WeightsMismatch } from "../errors.ts"
import type { TrainableModel } from "../Model.ts"
import * as Weights from "../Weights.ts"
import { type Assignable, importInto, isDirectory } from "./Import.ts"

const isTrainable = (model: Assignable): model is Assignable & TrainableModel =>
  (model as { _tag?: string })._tag === "TrainableModel"

const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))

/** The object form of the field. @category models */
export const WeightsSource = Schema.Struct({
  path: Schema.NonEmptyString,
  /** State-dict layout (default: detected from the names). */
  layout: Schema.Literals(["auto", "torchvision", "fastreid", "torchreid"]).pipe(def("auto")),
  /** Import the backbone only (default) or every parameter. */
  part: Schema.Literals(["backbone", "all"]).pipe(def("backbone")),
  /** Fail on a missing or unexpected tensor (default true). */
  strict: Schema.Boolean.pipe(def(true))
})
export type WeightsSource = typeof WeightsSource.Type

/** A path or {@link WeightsSource}. @category models */
export const WeightsInit = Schema.Union([Schema.NonEmptyString, WeightsSource])
export type WeightsInit = typeof WeightsInit.Type

/** The object form of a field value (a path is `{ path, layout: auto, part: backbone, strict: true }`). @category utils */
export const normalize = (init: WeightsInit): WeightsSource =>
  typeof init === "string" ? { path: init, layout: "auto", part: "backbone", strict: true } : init

/** A manifest path outside its weights folder, as the weights error of this module. */
const escaped = (path: string) => (e: PathEscapesRoot) =>
  Effect.fail(new WeightsIOError({ path, detail: e.message, cause: e }))

/**
 * Assigns the weights a `weights` field names to a model (see the module doc). `prefix` restricts the import to the
 * parameters under it (`"frame/"`: the frame network of a video model).
 * @category combinators
 */
export const apply = (
  model: Assignable,
  init: WeightsInit,
  prefix?: string
): Effect.Effect<void, WeightsIOError | WeightsMismatch> =>
  Effect.gen(function* () {
    const source = normalize(init)
    if (yield* isDirectory(source.path)) {
      if (prefix !== undefined || !isTrainable(model)) {
        return yield* Effect.fail(
          new WeightsIOError({
            path: source.path,
            detail:
              "a reidfx weights directory loads into an image model only: export it with `reidfx weights export` and import the .safetensors"
          })
        )
      }
      if (source.part === "all")
        return yield* Weights.load(model, source.path, { strict: source.strict }).pipe(
          Effect.catchTag("PathEscapesRoot", escaped(source.path))
        )
      return yield* Effect.scoped(
        Effect.gen(function* () {
          // the backbone only: every backbone tensor must be there (when strict), the directory's head is skipped
          const { tensors } = yield* Weights.readDirectory(source.path)
          const specs = model.network.specs.filter((s) => s.name.startsWith("backbone/"))
          const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name)
          const shapes = specs.flatMap((s) => {
            const t = tensors.get(s.name)
            return t === undefined || (t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i]))
              ? []
              : [{ name: s.name, expected: s.shape, actual: t.shape }]
          })
          if (shapes.length > 0 || (source.strict && missing.length > 0)) {
            return yield* Effect.fail(
              new WeightsMismatch({ path: source.path, missing: source.strict ? missing : [], unexpected: [], shapes })
            )
          }
          model.assign(
            new Map(specs.filter((s) => tensors.has(s.name)).map((s) => [s.name, tensors.get(s.name)!] as const))
          )
        })
      ).pipe(Effect.catchTag("PathEscapesRoot", escaped(source.path)))
    }
    return yield* importInto(model, source.path, {
      layout: source.layout,
      part: source.part,
      strict: source.strict,
      prefix
    })
  })
