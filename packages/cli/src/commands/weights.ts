/**
 * `reidfx weights`: PyTorch weights in and out of reidfx.
 *
 * - `reidfx weights inspect <file>`: the tensors of a `.safetensors` / `.npz` state dict (name, dtype, shape), its
 *   detected layout (torchvision, fast-reid, torchreid) and metadata; nothing is decoded.
 * - `reidfx weights import <file> --backbone resnet50 --out dir`: imports a state dict into a reidfx model and saves
 *   it as a reidfx weights directory (`model.json` + shards, config included). With `--part all` the head comes from
 *   the file too: the classifier size is read from it, and the head follows the layout (torchvision / torchreid:
 *   linear classifier with bias, no neck; fast-reid: BNNeck and bias-free classifier).
 * - `reidfx weights export <dir> --out file.safetensors`: a reidfx weights directory to a state dict with
 *   torchvision names (or `--layout fastreid|torchreid`), which `model.load_state_dict` reads.
 *
 * Every problem (a missing, extra or mis-shaped tensor, a broken file) ends in a one-line message.
 * @since 0.1.0
 */
import { define, Model, type ModelConfig, TorchNames, Weights, WeightsImport } from "@reidfx/model"
import { Console, Effect } from "effect"
import { Argument, CliError, Command, Flag } from "effect/cli"
import * as BackendFlag from "../BackendFlag.ts"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })
const asUserError = (e: { readonly message: string }) => userError(e.message)

const layoutFlag = Flag.Literals("layout", ["auto", "torchvision", "fastreid", "torchreid"]).pipe(
  Flag.withDefault("auto" as const),
  Flag.withDescription("State-dict layout (default: detected from the names)")
)

/** `reidfx weights inspect <file>`. */
export const inspectCommand = Command.make(
  "inspect",
  {
    file: Argument.String("file").pipe(Argument.withDescription("A .safetensors or .npz state dict")),
    limit: Flag.Int("limit").pipe(
      Flag.withDefault(0),
      Flag.withDescription("Print at most this many tensors (default 0: all)")
    )
  },
  ({ file, limit }) =>
    Effect.scoped(
      Effect.gen(function* () {
        const f = yield* WeightsImport.openFile(file).pipe(Effect.mapError(asUserError))
        const names = f.entries.map((e) => e.name)
        const values = f.entries.reduce((n, e) => n + e.shape.reduce((a, d) => a * d, 1), 0)
        yield* Console.log(
          `${file}: ${f.format}, ${f.entries.length} tensors, ${values.toLocaleString("en-US")} values, layout ${TorchNames.detectLayout(names)} (detected)`
        )
        for (const [k, v] of Object.entries(f.metadata))
          yield* Console.log(`metadata ${k}: ${v.length > 200 ? `${v.slice(0, 200)}...` : v}`)
        const shown = limit > 0 ? f.entries.slice(0, limit) : f.entries
        for (const e of shown) yield* Console.log(`${e.name}\t${e.dtype}\t[${e.shape.join(", ")}]`)
        if (shown.length < f.entries.length) yield* Console.log(`... ${f.entries.length - shown.length} more`)
      })
    )
).pipe(Command.withDescription("List the tensors of a .safetensors / .npz state dict and its detected layout"))

/** The head of a `--part all` import: the classifier size from the file, the head of the layout. */
const headFor = (layout: TorchNames.Layout, shapes: ReadonlyMap<string, ReadonlyArray<number>>, backbone: string) => {
  if (layout === "fastreid") {
    const classes = shapes.get("heads.weight")?.[0] ?? 0
    return {
      neck: shapes.has("heads.bottleneck.0.weight") ? "bnneck" : "none",
      classes,
      pooling: shapes.has("heads.pool_layer.p") ? "gem" : "avg"
    } as const
  }
  const classifier =
    layout === "torchreid" ? "classifier.weight" : backbone === "mobilenetv2" ? "classifier.1.weight" : "fc.weight"
  return {
    neck: "none",
    classes: shapes.get(classifier)?.[0] ?? 0,
    classifierBias: true,
    classifierInit: "torch"
  } as const
}

/** `reidfx weights import <file>`. */
export const importCommand = Command.make(
  "import",
  {
    file: Argument.String("file").pipe(Argument.withDescription("A .safetensors or .npz state dict")),
    backbone: Flag.Literals("backbone", ["resnet18", "resnet34", "resnet50", "mobilenetv2"]).pipe(
      Flag.withDescription("The architecture of the file")
    ),
    lastStride: Flag.Literals("last-stride", ["1", "2"]).pipe(
      Flag.withDefault("2" as const),
      Flag.withDescription("ResNet layer4 stride (1: BoT)")
    ),
    ibn: Flag.Boolean("ibn").pipe(
      Flag.withDefault(false),
      Flag.withDescription("ResNet IBN-a blocks (IBN-Net / fast-reid WITH_IBN)")
    ),
    stemPool: Flag.Literals("stem-pool", ["torchvision", "fastreid"]).pipe(
      Flag.withDefault("torchvision" as const),
      Flag.withDescription("ResNet stem max-pool: torchvision (padding 1) or fastreid (ceil mode, no padding)")
    ),
    layout: layoutFlag,
    part: Flag.Literals("part", ["all", "backbone"]).pipe(
      Flag.withDefault("all" as const),
      Flag.withDescription("Import every tensor (default) or the backbone only")
    ),
    out: Flag.String("out").pipe(Flag.withDescription("The reidfx weights directory to write"))
  },
  (flags) =>
    Effect.scoped(
      Effect.gen(function* () {
        const file = yield* WeightsImport.openFile(flags.file).pipe(Effect.mapError(asUserError))
        const layout = flags.layout === "auto" ? TorchNames.detectLayout(file.entries.map((e) => e.name)) : flags.layout
        const shapes = new Map(file.entries.map((e) => [TorchNames.stripModule(e.name), e.shape] as const))
        const backbone =
          flags.backbone === "mobilenetv2"
            ? { kind: "mobilenetv2" as const }
            : {
                kind: flags.backbone,
                lastStride: Number(flags.lastStride) as 1 | 2,
                ibn: flags.ibn,
                stemPool: flags.stemPool
              }
        const config: ModelConfig.ModelConfigInput = {
          backbone,
          head: flags.part === "all" ? headFor(layout, shapes, flags.backbone) : { neck: "none", classes: 0 }
        }
        // no random initialisation: the imported tensors become a frozen model, saved as is
        const network = define(yield* Model.decodeConfig(config).pipe(Effect.mapError(asUserError)))
        const tensors = yield* WeightsImport.readFor(network, file, { layout, part: flags.part }).pipe(
          Effect.mapError(asUserError)
        )
        // with --part backbone the head has no parameters (no neck, no classifier): every tensor is imported
        const model = Model.frozenFrom(network, tensors)
        yield* Weights.save(model, flags.out).pipe(Effect.mapError(asUserError))
        yield* Console.log(
          `imported ${model.network.specs.length} tensors (${flags.part}, ${layout} layout) into ${flags.backbone}; wrote ${flags.out}`
        )
      })
    ).pipe(Effect.provide(BackendFlag.layer))
).pipe(Command.withDescription("Import a PyTorch state dict (.safetensors / .npz) into a reidfx weights directory"))

/** `reidfx weights export <dir>`. */
export const exportCommand = Command.make(
  "export",
  {
    dir: Argument.String("dir").pipe(
      Argument.withDescription("A reidfx weights directory (written by reidfx: model.json holds the model config)")
    ),
    out: Flag.String("out").pipe(Flag.withDescription("The .safetensors file to write")),
    layout: Flag.Literals("layout", ["torchvision", "fastreid", "torchreid"]).pipe(
      Flag.withDefault("torchvision" as const),
      Flag.withDescription("State-dict names to write (default torchvision)")
    )
  },
  ({ dir, out, layout }) =>
    Effect.scoped(
      Effect.gen(function* () {
        if (!out.toLowerCase().endsWith(".safetensors"))
          return yield* userError(`--out: ${out} must end in .safetensors`)
        const { json } = yield* Weights.readDirectory(dir).pipe(Effect.mapError(asUserError))
        const stored = (json.modelTopology as { reidfx?: unknown } | null | undefined)?.reidfx
        if (stored === undefined)
          return yield* userError(
            `${dir}: model.json has no reidfx model config (modelTopology.reidfx); only directories written by reidfx can be exported`
          )
        const config = yield* Model.decodeConfig(stored).pipe(Effect.mapError(asUserError))
        const model = yield* Weights.loadFrozen(config, dir).pipe(Effect.mapError(asUserError))
        yield* WeightsImport.exportSafetensors(model, out, layout).pipe(Effect.mapError(asUserError))
        yield* Console.log(`exported ${model.network.specs.length} tensors (${layout} names) to ${out}`)
      })
    ).pipe(Effect.provide(BackendFlag.layer))
).pipe(
  Command.withDescription(
    "Export a reidfx weights directory to .safetensors with torchvision (or fast-reid / torchreid) names"
  )
)

/** `reidfx weights`. */
export const weightsCommand = Command.make("weights").pipe(
  Command.withDescription("PyTorch weights in and out: inspect | import | export (.safetensors, .npz)"),
  Command.withSubcommands([inspectCommand, importCommand, exportCommand])
)
