/**
 * The protocol kinds `reidfx run` knows (`@reidfx/continual`'s `ProtocolKind` registry): `lifelong` (the default
 * of a file without a `kind` field; `@reidfx/continual`) and `mdkt` (`@reidfx/video`). A file's declared `kind`
 * picks the entry; the entry decodes the file with its Schema and runs it on the shared run engine (run folder,
 * resume after the last completed stage, atomic writes, the `Progress` service). Adding a kind is one entry here.
 * @since 0.1.0
 */
import { Lifelong, Progress, Protocol, ProtocolFile, ProtocolKind, type Runner, Table } from "@reidfx/continual"
import { RunFolder } from "@reidfx/tensor"
import { Mdkt } from "@reidfx/video"
import { Console, Effect, References } from "effect"
import * as path from "node:path"

/** A failure of a protocol kind (every one has a one-line `message`). */
export interface KindError {
  readonly message: string
}

/** Runs a decoded lifelong protocol: progress on stdout, the table at the end, reports in the run folder. */
export const runLifelong = (protocol: Protocol.Protocol, request: ProtocolKind.RunRequest): Effect.Effect<Runner.RunResult, KindError> =>
  Effect.gen(function*() {
    let p = protocol
    if (request.seeds !== undefined) p = { ...p, seeds: [...request.seeds] }
    if (request.epochs !== undefined) p = { ...p, training: { ...p.training, epochs: request.epochs } }
    const methods = request.methods
    if (methods !== undefined) {
      const known = p.methods.map((m) => (typeof m === "string" ? m : m.name))
      const unknown = methods.filter((m) => !known.includes(m))
      if (unknown.length > 0) return yield* Effect.fail({ message: `--methods: ${unknown.join(", ")} not in the protocol (it has ${known.join(", ")})` })
    }
    const out = request.out ?? path.join("runs", p.name)
    if (request.fresh) yield* RunFolder.removeForFresh(out, ["protocol.json"])
    const started = Date.now()
    const cpuStart = process.cpuUsage()
    const { result, written } = yield* Lifelong.run(p, { out, ...(methods === undefined ? {} : { methods }) })
    yield* Console.log("")
    yield* Console.log(Table.toText(result))
    const cpu = process.cpuUsage(cpuStart)
    yield* Console.log(
      `\nwall time of this invocation: ${((Date.now() - started) / 1000).toFixed(0)} s ` +
        `(CPU time of the process: ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s)`
    )
    if (written !== undefined) yield* Console.log(`reports: ${written.markdown}, ${written.html}, ${written.json}`)
    return result
  })

/** The `lifelong` kind: `@reidfx/continual`'s `Protocol` (a `kind: lifelong` field is accepted and dropped). */
export const lifelong = ProtocolKind.make({
  name: ProtocolKind.defaultKind,
  description: "lifelong ReID over a sequence of tasks (@reidfx/continual)",
  schema: Protocol.Protocol,
  decode: (input: unknown, source: string) => ProtocolFile.decode(ProtocolKind.withoutKind(input, ProtocolKind.defaultKind), source),
  run: (protocol, request) => Effect.asVoid(runLifelong(protocol, request))
})

/** The registry `reidfx run` dispatches on. */
export const registry = ProtocolKind.registry<KindError, never>([lifelong, Mdkt.kind])

/** Decodes a parsed protocol file by its declared kind and runs it, with console progress. */
export const run = (value: unknown, source: string, request: ProtocolKind.RunRequest): Effect.Effect<void, KindError> =>
  Effect.gen(function*() {
    const prepared = yield* ProtocolKind.prepare(registry, value, source)
    yield* prepared.run(request)
  }).pipe(
    Effect.provide(Progress.layerConsole()),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
