/**
 * A sweep: protocols x parameter values x methods x seeds, declared like a protocol (YAML / JSON file or a
 * TypeScript value, Schema-validated, unknown keys refused). Each combination is a unit: one method on one
 * seed of one protocol variant, i.e. one lifelong run, the same unit `reidfx run` runs in a loop.
 *
 * ```yaml
 * name: tiny-sweep
 * protocols: [lifelong-tiny.yaml]     # files (relative to the sweep file) or inline protocols
 * methods: [bot-ft, dwopp]            # optional: a subset of each protocol's methods
 * seeds: [0, 1]                       # optional: instead of each protocol's seeds
 * parameters:                         # optional: key path in the protocol -> values (every combination)
 *   training.epochs: [1, 2]
 * ```
 *
 * A variant is a protocol with one value per parameter, named `<protocol>` or `<protocol>[key=value,...]`.
 * Units are ordered variant, then seed, then method (the order of `reidfx run`); their ids are derived from
 * the sweep's content, so submitting the same sweep again finds the same units.
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ConfigIssues } from "@reidfx/tensor"
import { type Protocol, ProtocolFile, Strategy } from "@reidfx/reid"
import { Effect, Result, Schema } from "effect"
import * as YAML from "yaml"
import { SweepDecodeError } from "./errors.ts"

/** A parameter value: what YAML gives for a scalar or a list / object of them. */
const ParameterValue = Schema.Unknown

/** The sweep as written. */
export const SweepSpec = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)).annotate({
    description: "letters, digits, '_', '.', '-' (it names folders)"
  }),
  description: Schema.optionalKey(Schema.String),
  protocols: Schema.NonEmptyArray(Schema.Union([Schema.String, Schema.Record(Schema.String, Schema.Unknown)])),
  methods: Schema.optionalKey(Schema.NonEmptyArray(Schema.String)),
  seeds: Schema.optionalKey(Schema.NonEmptyArray(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))),
  parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.NonEmptyArray(ParameterValue)))
})
export type SweepSpec = typeof SweepSpec.Type

/** One unit of a sweep. */
export interface Unit {
  /** Stable id: `<sweep id>/<variant>/<method>/seed-<s>`. */
  readonly id: string
  /** Position in the sweep (variant, seed, method order). */
  readonly ordinal: number
  readonly variant: string
  readonly protocol: Protocol.Protocol
  readonly method: string
  readonly seed: number
}

/** A sweep with its protocols resolved and its units listed. */
export interface Sweep {
  /** `<name>-<12 hex digits of the hash of the resolved content>`. */
  readonly id: string
  readonly name: string
  readonly variants: ReadonlyArray<{ readonly name: string; readonly protocol: Protocol.Protocol }>
  readonly units: ReadonlyArray<Unit>
}

const issue = (source: string, at: string, message: string) =>
  new SweepDecodeError({ source, issues: [{ path: at, message }] })

/** Sets `value` at a dotted key path of a plain object (a copy; intermediate objects are created). */
export const setPath = (root: unknown, keyPath: string, value: unknown): unknown => {
  const keys = keyPath.split(".")
  const copy = structuredClone(root) as Record<string, unknown>
  let node = copy
  for (const k of keys.slice(0, -1)) {
    const next = node[k]
    if (next === undefined || next === null || typeof next !== "object") node[k] = {}
    node = node[k] as Record<string, unknown>
  }
  node[keys[keys.length - 1]!] = value
  return copy
}

const show = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

/** Every combination of the parameters' values (one empty combination when there are none). */
export const combinations = (
  parameters: Readonly<Record<string, ReadonlyArray<unknown>>>
): ReadonlyArray<ReadonlyArray<readonly [string, unknown]>> =>
  Object.entries(parameters).reduce<ReadonlyArray<ReadonlyArray<readonly [string, unknown]>>>(
    (acc, [key, values]) => acc.flatMap((combo) => values.map((v) => [...combo, [key, v] as const])),
    [[]]
  )

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12)

/**
 * Resolves a decoded sweep: reads its protocol files (relative to `baseDir`), applies every parameter
 * combination, validates each variant as a protocol, and lists the units.
 */
export const resolve = (
  spec: SweepSpec,
  options: { readonly baseDir?: string; readonly source?: string } = {}
): Effect.Effect<Sweep, SweepDecodeError> =>
  Effect.gen(function* () {
    const source = options.source ?? "value"
    const variants: Array<{ name: string; protocol: Protocol.Protocol }> = []
    for (let p = 0; p < spec.protocols.length; p++) {
      const entry = spec.protocols[p]!
      let raw: unknown = entry
      let from = `${source} protocols[${p}]`
      if (typeof entry === "string") {
        const file = path.resolve(options.baseDir ?? ".", entry)
        from = file
        const text = yield* Effect.tryPromise({
          try: () => fs.readFile(file, "utf8"),
          catch: () => issue(source, `protocols[${p}]`, `cannot read ${file}`)
        })
        raw = yield* Effect.try({
          try: () => YAML.parse(text) as unknown,
          catch: (e) => issue(source, `protocols[${p}]`, `${file} is not YAML / JSON: ${String(e)}`)
        })
      }
      const base = yield* ProtocolFile.decode(raw, from).pipe(
        Effect.mapError((e) => issue(source, `protocols[${p}]`, e.message))
      )
      for (const combo of combinations(spec.parameters ?? {})) {
        let json: unknown = ProtocolFile.toJson(base)
        for (const [key, value] of combo) json = setPath(json, key, value)
        if (spec.seeds !== undefined) json = setPath(json, "seeds", [...spec.seeds])
        const suffix = combo.length === 0 ? "" : `[${combo.map(([k, v]) => `${k}=${show(v)}`).join(",")}]`
        const protocol = yield* ProtocolFile.decode(json, `${from}${suffix}`).pipe(
          Effect.mapError((e) => issue(source, combo.length === 0 ? `protocols[${p}]` : "parameters", e.message))
        )
        const name = `${protocol.name}${suffix}`
        if (variants.some((v) => v.name === name))
          return yield* issue(source, "protocols", `two variants are both named ${name}`)
        variants.push({ name, protocol })
      }
    }
    for (const v of variants) {
      const known = v.protocol.methods.map((m) => Strategy.resolve(m).name)
      const unknown = (spec.methods ?? []).filter((m) => !known.includes(m))
      if (unknown.length > 0)
        return yield* issue(
          source,
          "methods",
          `${unknown.join(", ")} not in protocol ${v.name} (it has ${known.join(", ")})`
        )
    }
    const content = JSON.stringify({
      name: spec.name,
      methods: spec.methods ?? null,
      variants: variants.map((v) => ({ name: v.name, protocol: ProtocolFile.toJson(v.protocol) }))
    })
    const id = `${spec.name}-${hash(content)}`
    const units: Array<Unit> = []
    for (const v of variants) {
      const methods = v.protocol.methods
        .map((m) => Strategy.resolve(m).name)
        .filter((m) => spec.methods === undefined || spec.methods.includes(m))
      for (const seed of v.protocol.seeds) {
        for (const method of methods) {
          units.push({
            id: `${id}/${v.name}/${method}/seed-${seed}`,
            ordinal: units.length,
            variant: v.name,
            protocol: v.protocol,
            method,
            seed
          })
        }
      }
    }
    return { id, name: spec.name, variants, units }
  })

/** Decodes a sweep from an unknown value (unknown keys and bad values are errors naming the key). */
export const decode = (input: unknown, source = "value"): Effect.Effect<SweepSpec, SweepDecodeError> => {
  const result = Schema.decodeUnknownResult(SweepSpec)(input, { onExcessProperty: "error", errors: "all" })
  return Result.isFailure(result)
    ? Effect.fail(
        new SweepDecodeError({
          source,
          issues: ConfigIssues.explainAll(SweepSpec.ast, input, result.failure.issue)
        })
      )
    : Effect.succeed(result.success)
}

/** Builds a sweep in TypeScript (protocol paths relative to `baseDir`, default the working folder). */
export const make = (
  input: SweepSpec,
  options: { readonly baseDir?: string } = {}
): Effect.Effect<Sweep, SweepDecodeError> => Effect.flatMap(decode(input), (spec) => resolve(spec, options))

/** Reads and resolves a sweep file (YAML or JSON); protocol paths are relative to the file. */
export const readFile = (file: string): Effect.Effect<Sweep, SweepDecodeError> =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => fs.readFile(file, "utf8"),
      catch: () => issue(file, "(root)", `cannot read ${file}`)
    })
    const raw = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (e) => issue(file, "(root)", `not valid YAML / JSON: ${String(e)}`)
    })
    const spec = yield* decode(raw, file)
    return yield* resolve(spec, { baseDir: path.dirname(path.resolve(file)), source: file })
  })
