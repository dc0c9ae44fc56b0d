/**
 * The protocol kinds `reidfx run` knows (`@reidfx/continual`'s `ProtocolKind` registry): `lifelong` (the default
 * of a file without a `kind` field; `@reidfx/reid`), `mdkt` (`@reidfx/reid`'s `Mdkt`) and `parts` (AlignedReID and PCB on
 * the synthetic world; `@reidfx/reid`'s `PartModels`). A file's declared `kind`
 * picks the entry; the entry decodes the file with its Schema and runs it on the shared run engine (run folder,
 * resume after the last completed stage, atomic writes, the `Progress` service). Adding a kind is one entry here.
 * @since 0.1.0
 */
import { Progress, ProtocolKind, type Runner, Table } from "@reidfx/continual"
import { type Backend, RunFolder } from "@reidfx/tensor"
import { DataRoots, Lifelong, Mdkt, PartModels, Protocol, ProtocolFile } from "@reidfx/reid"
import { Console, Effect, References } from "effect"
import { existsSync } from "node:fs"
import * as path from "node:path"

/** A failure of a protocol kind (every one has a one-line `message`). */
export interface KindError {
  readonly message: string
}

/** Runs a decoded lifelong protocol: progress on stdout, the table at the end, reports in the run folder. */
export const runLifelong = (
  protocol: Protocol.Protocol,
  request: ProtocolKind.RunRequest
): Effect.Effect<Runner.RunResult | undefined, KindError, Backend.Backend> =>
  Effect.gen(function* () {
    let p = protocol
    if (request.seeds !== undefined) p = { ...p, seeds: [...request.seeds] }
    if (request.epochs !== undefined) p = { ...p, training: { ...p.training, epochs: request.epochs } }
    const methods = request.methods
    if (methods !== undefined) {
      const known = p.methods.map(Protocol.methodName)
      const unknown = methods.filter((m) => !known.includes(m))
      if (unknown.length > 0)
        return yield* Effect.fail({
          message: `--methods: ${unknown.join(", ")} not in the protocol (it has ${known.join(", ")})`
        })
    }
    const out = request.out ?? path.join("runs", p.name)
    if (request.printConfig === true) {
      yield* Console.log(ProtocolFile.toYaml(p).trimEnd())
      return undefined
    }
    if (request.dryRun === true) {
      yield* Console.log(yield* dryRun(p, out, methods, request.fresh))
      return undefined
    }
    if (request.fresh) yield* RunFolder.removeForFresh(out, ["protocol.json"])
    const started = Date.now()
    const cpuStart = process.cpuUsage()
    const { result, written } = yield* Lifelong.run(p, {
      out,
      ...(request.mlflow === undefined ? {} : { logging: { mlflow: request.mlflow } }),
      ...(methods === undefined ? {} : { methods })
    })
    yield* Console.log("")
    yield* Console.log(Table.toText(result))
    const cpu = process.cpuUsage(cpuStart)
    yield* Console.log(
      `\nwall time of this invocation: ${((Date.now() - started) / 1000).toFixed(0)} s ` +
        `(CPU time of the process: ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s)`
    )
    if (written !== undefined) {
      yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
      yield* Console.log(
        `history: ${path.join(out, "history")} (steps, evaluations: CSV and JSON lines); TensorBoard: tensorboard --logdir ${path.join(out, "tensorboard")}`
      )
    }
    return result
  })

/**
 * What `--dry-run` says: the units (methods x seeds), tasks and steps, the dataset folders (checked: a missing one
 * is the usual error), and whether the run folder would start fresh or resume.
 */
const dryRun = (p: Protocol.Protocol, out: string, methods: ReadonlyArray<string> | undefined, fresh: boolean) =>
  Effect.gen(function* () {
    yield* DataRoots.resolveFromConfig(p)
    const names = p.methods.map(Protocol.methodName).filter((m) => methods === undefined || methods.includes(m))
    const split = p.data.split
    const tasks = split.kind === "intraDomain" ? split.tasks : split.sequence.length
    const saved = existsSync(path.join(out, "protocol.json"))
    return [
      `dry run of ${p.name}: nothing is trained or written`,
      `  ${names.length} method(s) x ${p.seeds.length} seed(s) = ${names.length * p.seeds.length} run(s): ${names.join(", ")}; seeds ${p.seeds.join(", ")}`,
      `  ${tasks} task(s); ${p.training.epochs} epoch(s) per task${p.training.batchesPerEpoch === undefined ? "" : ` of ${p.training.batchesPerEpoch} batch(es)`}; ` +
        `input ${p.training.height}x${p.training.width}; stages ${p.stages.map((s) => (s.kind === "custom" ? s.name : s.kind)).join(" -> ")}`,
      `  run folder ${out}: ${fresh ? "--fresh would delete it first" : saved ? "holds this run: it would resume after its last completed stage" : "new"}`,
      `  dataset folders: ${DataRoots.layoutsOf(p).length === 0 ? "none (synthetic world)" : "present"}`
    ].join("\n")
  })

/** The `lifelong` kind: `@reidfx/reid`'s `Protocol` (a `kind: lifelong` field is accepted and dropped). */
export const lifelong = ProtocolKind.make({
  name: ProtocolKind.defaultKind,
  description: "lifelong ReID over a sequence of tasks (@reidfx/continual)",
  schema: Protocol.Protocol,
  decode: (input: unknown, source: string) =>
    ProtocolFile.decode(ProtocolKind.withoutKind(input, ProtocolKind.defaultKind), source),
  run: (protocol, request) => Effect.asVoid(runLifelong(protocol, request))
})

/** The registry `reidfx run` dispatches on. */
export const registry = ProtocolKind.registry<KindError, Backend.Backend>([lifelong, Mdkt.kind, PartModels.kind])

/** The kinds whose run handles `--print-config`, `--dry-run` and `--mlflow` (the others refuse them in one line). */
const inspectable: ReadonlySet<string> = new Set([lifelong.name, Mdkt.kind.name])

/** Decodes a parsed protocol file by its declared kind and runs it, with console progress. */
export const run = (
  value: unknown,
  source: string,
  request: ProtocolKind.RunRequest
): Effect.Effect<void, KindError, Backend.Backend> =>
  Effect.gen(function* () {
    const prepared = yield* ProtocolKind.prepare(registry, value, source)
    if (
      !inspectable.has(prepared.kind) &&
      (request.printConfig === true || request.dryRun === true || request.mlflow !== undefined)
    ) {
      return yield* Effect.fail({
        message: `--print-config, --dry-run and --mlflow apply to ${[...inspectable].join(" and ")} protocols for now; ${source} is a ${prepared.kind} protocol`
      })
    }
    yield* prepared.run(request)
  }).pipe(Effect.provide(Progress.layerConsole()), Effect.provideService(References.MinimumLogLevel, "Warn"))
