/**
 * Protocols as files: decode a protocol from JSON or YAML text (or any unknown value) with errors that name the
 * key and what is allowed, check the rules a schema cannot express (declaration checks), and write a protocol
 * back to text. Decoding then encoding then decoding gives the same value (tested).
 * @since 0.1.0
 */
import { Effect, Result, Schema, SchemaAST, SchemaIssue } from "effect"
import * as YAML from "yaml"
import * as Catalogs from "./Catalogs.ts"
import { OldModelUndeclared, ProtocolDecodeError } from "./errors.ts"
import { type Protocol, type ProtocolInput, schemaOf } from "./Protocol.ts"
import * as Strategy from "./Strategy.ts"
import * as TermCatalog from "./TermCatalog.ts"

type PathKey = PropertyKey

const showPath = (path: ReadonlyArray<PathKey>): string =>
  path.length === 0 ? "(root)" : path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("").replace(/^\./, "")

/** The object nodes a value at `path` may be decoded by (unions are expanded; arrays followed). */
const nodesAt = (ast: SchemaAST.AST, path: ReadonlyArray<PathKey>): ReadonlyArray<SchemaAST.AST> => {
  const expand = (a: SchemaAST.AST): ReadonlyArray<SchemaAST.AST> => {
    const e = SchemaAST.toEncoded(a)
    if (e._tag === "Union") return e.types.flatMap(expand)
    if (e._tag === "Suspend") return expand(e.thunk())
    return [e]
  }
  let current: ReadonlyArray<SchemaAST.AST> = expand(ast)
  for (const key of path) {
    const next: Array<SchemaAST.AST> = []
    for (const node of current) {
      if (node._tag === "Objects") {
        const p = node.propertySignatures.find((s) => s.name === key)
        if (p !== undefined) next.push(...expand(p.type))
      } else if (node._tag === "Arrays" && typeof key === "number") {
        const el = node.elements[key] ?? node.rest[0]
        if (el !== undefined) next.push(...expand(el))
      }
    }
    current = next
  }
  return current
}

const valueAt = (input: unknown, path: ReadonlyArray<PathKey>): unknown => {
  let v: unknown = input
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

const literalOf = (node: SchemaAST.AST, key: string): string | undefined => {
  if (node._tag !== "Objects") return undefined
  const p = node.propertySignatures.find((s) => s.name === key)
  if (p === undefined) return undefined
  const t = SchemaAST.toEncoded(p.type)
  return t._tag === "Literal" ? String(t.literal) : undefined
}

const discriminants = ["kind", "loss"] as const

/** Rewrites one issue so it names what is allowed. */
const explain = (
  ast: SchemaAST.AST,
  input: unknown,
  issue: { readonly path: ReadonlyArray<PathKey>; readonly message: string }
): { readonly path: string; readonly message: string } => {
  const path = issue.path
  if (issue.message.startsWith("Expected no excess property") && path.length > 0) {
    const parent = path.slice(0, -1)
    const value = valueAt(input, parent)
    let nodes = nodesAt(ast, parent).filter((n) => n._tag === "Objects")
    for (const d of discriminants) {
      const tag = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[d] : undefined
      if (tag !== undefined) {
        const matching = nodes.filter((n) => literalOf(n, d) === tag)
        if (matching.length > 0) nodes = matching
      }
    }
    const allowed = [...new Set(nodes.flatMap((n) => (n._tag === "Objects" ? n.propertySignatures.map((s) => String(s.name)) : [])))]
    return {
      path: showPath(path),
      message: `unknown key "${String(path[path.length - 1])}"` + (allowed.length > 0 ? `; allowed keys: ${allowed.join(", ")}` : "")
    }
  }
  if (issue.message.startsWith("Expected {")) {
    const value = valueAt(input, path)
    const nodes = nodesAt(ast, path)
    for (const d of discriminants) {
      const tags = nodes.map((n) => literalOf(n, d)).filter((t): t is string => t !== undefined)
      if (tags.length > 0 && tags.length === nodes.filter((n) => n._tag === "Objects").length) {
        const got = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[d] : value
        return {
          path: showPath([...path, d]),
          message: `${d} must be one of ${tags.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(got) ?? "nothing"}`
        }
      }
    }
  }
  const got = valueAt(input, path)
  const shown = got === undefined || (got !== null && typeof got === "object") ? "" : ` (got ${JSON.stringify(got)})`
  return { path: showPath(path), message: issue.message.replace(/\n.*/s, "") + shown }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Checks that a schema cannot express: a method whose terms read the old model declares what happens on the
 * first task. (Built-in methods declare it.)
 */
export const checkDeclaration = (protocol: Protocol): Effect.Effect<Protocol, OldModelUndeclared | ProtocolDecodeError> =>
  Effect.gen(function*() {
    const catalogs = yield* Catalogs.Catalogs
    const oldModelTerms = TermCatalog.oldModelNames(catalogs.terms)
    const names = protocol.methods.map((m) => Strategy.resolve(m, catalogs.strategies).name)
    const twice = names.filter((n, i) => names.indexOf(n) !== i)
    if (twice.length > 0) {
      return yield* new ProtocolDecodeError({
        source: "value",
        issues: [{ path: "methods", message: `method names must be unique (rename with Strategy.renamed or name:), repeated: ${[...new Set(twice)].join(", ")}` }]
      })
    }
    if (new Set(protocol.seeds).size !== protocol.seeds.length) {
      return yield* new ProtocolDecodeError({ source: "value", issues: [{ path: "seeds", message: "seeds must be unique" }] })
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
  Effect.gen(function*() {
    const schema = schemaOf(yield* Catalogs.Catalogs)
    const result = Schema.decodeUnknownResult(schema)(input, { onExcessProperty: "error", errors: "all" })
    if (Result.isFailure(result)) {
      const issues = formatter(result.failure.issue).issues.map((i) =>
        explain(schema.ast, input, { path: (i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)), message: i.message })
      )
      return yield* new ProtocolDecodeError({ source, issues })
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

/** Parses JSON or YAML text (YAML is a superset of JSON) and decodes it. */
export const parse = (text: string, source = "text"): Effect.Effect<Protocol, ProtocolDecodeError> =>
  Effect.gen(function*() {
    const parsed = yield* Effect.try({
      try: () => YAML.parse(text) as unknown,
      catch: (cause) =>
        new ProtocolDecodeError({ source, issues: [{ path: "(root)", message: `not valid YAML / JSON: ${String((cause as Error).message ?? cause)}` }] })
    })
    return yield* decode(parsed, source)
  })

/** The protocol as a plain JSON value (with every default written out); `catalogs` when it uses a user's entries. */
export const toJson = (protocol: Protocol, catalogs: Catalogs.Catalogs = Catalogs.builtin): ProtocolInput =>
  Schema.encodeSync(schemaOf(catalogs))(protocol)

/** The protocol as YAML text. */
export const toYaml = (protocol: Protocol, catalogs: Catalogs.Catalogs = Catalogs.builtin): string => YAML.stringify(toJson(protocol, catalogs))

/** The protocol as JSON text. */
export const toJsonText = (protocol: Protocol, catalogs: Catalogs.Catalogs = Catalogs.builtin): string =>
  JSON.stringify(toJson(protocol, catalogs), null, 2)
