/**
 * Protocols as files: decode a protocol from JSON or YAML text (or any unknown value) with errors that name the
 * key and what is allowed, check the rules a schema cannot express (declaration checks), and write a protocol
 * back to text. Decoding then encoding then decoding gives the same value (tested).
 * @since 0.1.0
 */
import { ConfigIssues } from "@reidfx/tensor"
import { Effect, Result, Schema } from "effect"
import * as YAML from "yaml"
import * as Catalogs from "./Catalogs.ts"
import { OldModelUndeclared, ProtocolDecodeError } from "./errors.ts"
import { type Protocol, type ProtocolInput, type ProtocolInputOf, schemaOf } from "./Protocol.ts"
import * as Strategy from "./Strategy.ts"
import * as TermCatalog from "./TermCatalog.ts"

/**
 * Checks that a schema cannot express: a method whose terms read the old model declares what happens on the
 * first task. (Built-in methods declare it.)
 */
export const checkDeclaration = (
  protocol: Protocol
): Effect.Effect<Protocol, OldModelUndeclared | ProtocolDecodeError> =>
  Effect.gen(function* () {
    const catalogs = yield* Catalogs.Catalogs
    const oldModelTerms = TermCatalog.oldModelNames(catalogs.terms)
    const names = protocol.methods.map((m) => Strategy.resolve(m, catalogs.strategies).name)
    const twice = names.filter((n, i) => names.indexOf(n) !== i)
    if (twice.length > 0) {
      return yield* new ProtocolDecodeError({
        source: "value",
        issues: [
          {
            path: "methods",
            message: `method names must be unique (rename with Strategy.renamed or name:), repeated: ${[...new Set(twice)].join(", ")}`
          }
        ]
      })
    }
    if (new Set(protocol.seeds).size !== protocol.seeds.length) {
      return yield* new ProtocolDecodeError({
        source: "value",
        issues: [{ path: "seeds", message: "seeds must be unique" }]
      })
    }
    for (const ref of protocol.methods) {
      const method = Strategy.resolve(ref, catalogs.strategies)
      const needs = method.terms.filter((t) => oldModelTerms.has(t.loss)).map((t) => t.loss)
      if (needs.length > 0 && method.firstTask === undefined && !method.joint) {
        return yield* new OldModelUndeclared({ method: method.name, terms: needs })
      }
    }
    return protocol
  })

/**
 * Decodes a protocol from an unknown value (a parsed JSON / YAML document or a TypeScript literal): applies the
 * defaults, rejects unknown keys and bad values (every problem is listed, each naming its key and what is
 * allowed), then runs the declaration checks.
 */
export const decode = (input: unknown, source = "value"): Effect.Effect<Protocol, ProtocolDecodeError> =>
  Effect.gen(function* () {
    const schema = schemaOf(yield* Catalogs.Catalogs)
    const result = Schema.decodeUnknownResult(schema)(input, { onExcessProperty: "error", errors: "all" })
    if (Result.isFailure(result)) {
      return yield* new ProtocolDecodeError({
        source,
        issues: ConfigIssues.explainAll(schema.ast, input, result.failure.issue)
      })
    }
    return yield* checkDeclaration(result.success).pipe(
      Effect.mapError((e) =>
        e._tag === "ProtocolDecodeError"
          ? new ProtocolDecodeError({ source, issues: e.issues })
          : new ProtocolDecodeError({ source, issues: [{ path: "methods", message: e.message }] })
      )
    )
  })

/** Builds a protocol in TypeScript (defaults filled in, everything validated). */
export const make = (input: ProtocolInput): Effect.Effect<Protocol, ProtocolDecodeError> => decode(input, "value")

/**
 * Builds a protocol in TypeScript with a user's catalogs (`Catalogs.extend`): a user's term type-checks in a
 * method's `terms` as a built-in one does, and the protocol is decoded with these catalogs. The result has the
 * built-in `Protocol` type (what `Lifelong.run` takes; run it under the same catalogs).
 */
export const makeWith = <In, T>(
  catalogs: Catalogs.Catalogs<In, T>,
  input: ProtocolInputOf<In>
): Effect.Effect<Protocol, ProtocolDecodeError> => decode(input, "value").pipe(Catalogs.provide(catalogs))

/** Parses JSON or YAML text (YAML is a superset of JSON) and decodes it. */
export const parse = (text: string, source = "text"): Effect.Effect<Protocol, ProtocolDecodeError> =>
  Effect.gen(function* () {
    const parsed = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (cause) =>
        new ProtocolDecodeError({
          source,
          issues: [{ path: "(root)", message: `not valid YAML / JSON: ${String((cause as Error).message ?? cause)}` }]
        })
    })
    return yield* decode(parsed, source)
  })

/** The protocol as a plain JSON value (with every default written out); `catalogs` when it uses a user's entries. */
export const toJson = (
  protocol: Protocol,
  catalogs: Catalogs.Catalogs<unknown, unknown> = Catalogs.builtin
): ProtocolInput => Schema.encodeSync(schemaOf(catalogs))(protocol)

/** The protocol as YAML text. */
export const toYaml = (protocol: Protocol, catalogs: Catalogs.Catalogs<unknown, unknown> = Catalogs.builtin): string =>
  YAML.stringify(toJson(protocol, catalogs))

/** The protocol as JSON text. */
export const toJsonText = (
  protocol: Protocol,
  catalogs: Catalogs.Catalogs<unknown, unknown> = Catalogs.builtin
): string => JSON.stringify(toJson(protocol, catalogs), null, 2)
