/**
 * The one error explainer of every config dialect (`Protocol`, `RunConfig`, `MdktProtocol`, sweeps): it turns
 * the issues of a failed Schema decode into one line each that names the key path, what is allowed and what the
 * file holds:
 *
 * - an unknown key: `unknown key "taks"; allowed keys: kind, tasks, unseenIdentities` (through unions, the keys
 *   of the members the object's `kind` / `loss` selects);
 * - a bad discriminant: `kind must be one of "train", "snapshot", got "trian"`;
 * - any other bad value: the Schema's message and the value, `Expected a value between 1 and 9 (got 12)`.
 * @since 0.1.0
 */
import { SchemaAST, SchemaIssue } from "effect"

/** One explained issue: where (`data.world.cameras`, `methods[2]`, `(root)`) and what to fix. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/** The fields whose literal value selects a union member (`{ kind: train }`, `{ loss: lwf }`, `{ use: ewc }`). */
export const discriminants = ["kind", "loss", "use"] as const

/** A key path as written in messages: `data.world.cameras`, `methods[2].terms`, `(root)`. */
export const showPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0
    ? "(root)"
    : path
        .map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`))
        .join("")
        .replace(/^\./, "")

/** The value of `input` at a key path (undefined when absent). */
export const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let v: unknown = input
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

/** The object nodes a value at `path` may be decoded by (unions are expanded; arrays followed). */
export const nodesAt = (ast: SchemaAST.AST, path: ReadonlyArray<PropertyKey>): ReadonlyArray<SchemaAST.AST> => {
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

const literalsOf = (ast: SchemaAST.AST): ReadonlyArray<string> => {
  const t = SchemaAST.toEncoded(ast)
  return t._tag === "Literal" ? [String(t.literal)] : t._tag === "Union" ? t.types.flatMap(literalsOf) : []
}

const literalOf = (node: SchemaAST.AST, key: string): ReadonlyArray<string> => {
  if (node._tag !== "Objects") return []
  const p = node.propertySignatures.find((s) => s.name === key)
  return p === undefined ? [] : literalsOf(p.type)
}

/** The object nodes of `nodes` a value selects by its discriminants (all of them when it declares none that match). */
const narrowed = (nodes: ReadonlyArray<SchemaAST.AST>, value: unknown): ReadonlyArray<SchemaAST.AST> => {
  let objects = nodes.filter((n) => n._tag === "Objects")
  for (const d of discriminants) {
    const tag = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[d] : undefined
    if (tag !== undefined) {
      const matching = objects.filter((n) => literalOf(n, d).includes(String(tag)))
      if (matching.length > 0) objects = matching
    }
  }
  return objects
}

/**
 * The object nodes the object at `path` of `input` is decoded by, narrowed at every level of the path to the
 * union members whose discriminant (`kind`, `loss`, `use`) the input declares there (so the options of
 * `{ use: ewc, options }` are EWC's, not every strategy's).
 */
const objectsAt = (
  ast: SchemaAST.AST,
  input: unknown,
  path: ReadonlyArray<PropertyKey>
): ReadonlyArray<SchemaAST.AST> => {
  let current = narrowed(nodesAt(ast, []), input)
  for (let i = 0; i < path.length; i++) {
    const parents = current
    current = parents.flatMap((parent) => nodesAt(parent, [path[i]!]))
    const value = valueAt(input, path.slice(0, i + 1))
    if (value !== null && typeof value === "object" && !Array.isArray(value)) current = narrowed(current, value)
    else if (i < path.length - 1) current = current.filter((n) => n._tag === "Arrays" || n._tag === "Objects")
  }
  return current.filter((n) => n._tag === "Objects")
}

/**
 * The keys allowed in the object at `path` of `input`: those of the object nodes there, narrowed to the union
 * members whose discriminant (`kind`, `loss`, `use`) the object, and each object above it, declares.
 */
export const keysAt = (ast: SchemaAST.AST, input: unknown, path: ReadonlyArray<PropertyKey>): ReadonlyArray<string> =>
  keysOf(objectsAt(ast, input, path))

const keysOf = (nodes: ReadonlyArray<SchemaAST.AST>): ReadonlyArray<string> => [
  ...new Set(nodes.flatMap((n) => (n._tag === "Objects" ? n.propertySignatures.map((s) => String(s.name)) : [])))
]

/** The keys some node of `nodes` requires. */
const requiredKeysOf = (nodes: ReadonlyArray<SchemaAST.AST>): ReadonlyArray<string> =>
  nodes.flatMap((n) =>
    n._tag === "Objects"
      ? n.propertySignatures.filter((s) => s.type.context?.isOptional !== true).map((s) => String(s.name))
      : []
  )

/**
 * A discriminant no member accepts, on the object at `path` or an object above it (the shallowest): `use must be
 * one of "joint", ..., got "nope"`, which replaces every issue under that object (the members it did not select).
 */
const badDiscriminantAbove = (
  ast: SchemaAST.AST,
  input: unknown,
  path: ReadonlyArray<PropertyKey>
): ConfigIssue | undefined => {
  for (let n = 0; n <= path.length; n++) {
    const at = path.slice(0, n)
    const value = valueAt(input, at)
    if (value === null || typeof value !== "object" || Array.isArray(value)) continue
    for (const d of discriminants) {
      const got = (value as Record<string, unknown>)[d]
      if (got === undefined) continue
      const tags = [...new Set(objectsAt(ast, input, at).flatMap((o) => literalOf(o, d)))]
      if (tags.length > 0 && !tags.includes(String(got)))
        return {
          path: showPath([...at, d]),
          message: `${d} must be one of ${tags.map((t) => `"${t}"`).join(", ")}, got ${shown(got)}`
        }
    }
  }
  return undefined
}

/**
 * Whether an issue comes from a union member the input did not select: the object holding the key declares a
 * discriminant, and the issue is an unknown key that the selected members allow, or a missing key none of them
 * requires (e.g. `{ use: ewc }` also fails the union's method-declaration member, which has no `use`).
 */
const fromUnselectedMember = (
  ast: SchemaAST.AST,
  input: unknown,
  issue: { readonly path: ReadonlyArray<PropertyKey>; readonly message: string }
): boolean => {
  if (issue.path.length === 0) return false
  const parent = issue.path.slice(0, -1)
  const key = String(issue.path[issue.path.length - 1])
  const value = valueAt(input, parent)
  if (value === null || typeof value !== "object") return false
  if (!discriminants.some((d) => (value as Record<string, unknown>)[d] !== undefined)) return false
  const nodes = objectsAt(ast, input, parent)
  if (nodes.length === 0) return false
  if (issue.message.startsWith("Expected no excess property")) return keysOf(nodes).includes(key)
  if (issue.message === "Missing key") return !requiredKeysOf(nodes).includes(key)
  return false
}

/** The values a discriminant may take in the object at `path` (one per union member; empty if it is not a tagged union). */
const tagsAt = (ast: SchemaAST.AST, path: ReadonlyArray<PropertyKey>, d: string): ReadonlyArray<string> => {
  const objects = nodesAt(ast, path).filter((n) => n._tag === "Objects")
  const tags = objects.map((n) => literalOf(n, d))
  return objects.length > 0 && tags.every((t) => t.length > 0) ? [...new Set(tags.flat())] : []
}

const shown = (value: unknown): string => JSON.stringify(value) ?? "nothing"

/** Explains one issue of decoding `input` with the schema of `ast` (see the module doc). */
export const explain = (
  ast: SchemaAST.AST,
  input: unknown,
  issue: { readonly path: ReadonlyArray<PropertyKey>; readonly message: string }
): ConfigIssue => {
  const path = issue.path
  if (issue.message.startsWith("Expected no excess property") && path.length > 0) {
    const allowed = keysAt(ast, input, path.slice(0, -1))
    return {
      path: showPath(path),
      message:
        `unknown key "${String(path[path.length - 1])}"` +
        (allowed.length > 0 ? `; allowed keys: ${allowed.join(", ")}` : "")
    }
  }
  // a bad tag of a tagged union, reported on the object ("Expected {...}") or on the tag itself
  const last = path[path.length - 1]
  const onTag = typeof last === "string" && (discriminants as ReadonlyArray<string>).includes(last)
  const objectPath = onTag ? path.slice(0, -1) : path
  if (onTag || issue.message.startsWith("Expected {")) {
    const value = valueAt(input, objectPath)
    for (const d of onTag ? [last as string] : discriminants) {
      const tags = tagsAt(ast, objectPath, d)
      if (tags.length > (onTag ? 1 : 0) && (onTag || (value !== null && typeof value === "object"))) {
        const got = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[d] : value
        if (got !== undefined && tags.includes(String(got))) continue
        return {
          path: showPath([...objectPath, d]),
          message: `${d} must be one of ${tags.map((t) => `"${t}"`).join(", ")}, got ${shown(got)}`
        }
      }
    }
  }
  const got = valueAt(input, path)
  const value = got === undefined || (got !== null && typeof got === "object") ? "" : ` (got ${shown(got)})`
  return { path: showPath(path), message: issue.message.replace(/\n.*/s, "") + value }
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Every issue of a failed decode of `input` by the schema of `ast`, explained (duplicates removed). */
export const explainAll = (
  ast: SchemaAST.AST,
  input: unknown,
  issue: SchemaIssue.Issue
): ReadonlyArray<ConfigIssue> => {
  const seen = new Set<string>()
  return formatter(issue)
    .issues.map((i) => ({
      path: (i.path ?? []).map((p) =>
        typeof p === "object" && p !== null && "key" in p ? (p as { key: PropertyKey }).key : (p as PropertyKey)
      ),
      message: i.message
    }))
    .filter((i) => !fromUnselectedMember(ast, input, i))
    .map((i) => badDiscriminantAbove(ast, input, i.path.slice(0, -1)) ?? explain(ast, input, i))
    .filter((i) => {
      const key = `${i.path}\u0000${i.message}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
}

/** The lines of explained issues, as every config error prints them: `  - at <path>: <message>`. */
export const lines = (issues: ReadonlyArray<ConfigIssue>, indent = "  "): string =>
  issues.map((i) => `${indent}- at ${i.path}: ${i.message}`).join("\n")
