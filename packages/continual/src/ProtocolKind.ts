/**
 * Protocol kinds: what `reidfx run` can run. Every protocol file declares its kind in a top-level `kind` field
 * (`lifelong`, the default for files that do not say, or `mdkt`, ...); a {@link Registry} maps each kind name to
 * its entry (name, protocol Schema, decoder and run), so a dispatcher reads the declared field, never the rest of
 * the text, and adding a kind is one entry:
 *
 * ```ts
 * const registry = ProtocolKind.registry([lifelongKind, Mdkt.kind])
 * const prepared = yield* ProtocolKind.prepare(registry, YAML.parse(text), file)
 * yield* prepared.run({ fresh: false })
 * ```
 * @since 0.1.0
 */
import { Data, Effect, type Schema } from "effect"

/** The default kind of a protocol file with no `kind` field. */
export const defaultKind = "lifelong"

/** What a run is asked to do besides the protocol (the command line's flags). */
export interface RunRequest {
  /** The run folder (default: the kind's, usually `runs/<protocol name>`); an interrupted run there resumes. */
  readonly out?: string
  /** Delete the run folder first instead of resuming. */
  readonly fresh: boolean
  /** Seeds to run instead of the protocol's. */
  readonly seeds?: ReadonlyArray<number>
  /** Methods to run (kinds without methods refuse it). */
  readonly methods?: ReadonlyArray<string>
  /** Epochs per task instead of the protocol's (kinds without tasks refuse it). */
  readonly epochs?: number
  /** Print the protocol as it would run (every default filled in) and exit (`--print-config`). */
  readonly printConfig?: boolean
  /** Check the protocol and its folders, say what would run, and exit (`--dry-run`). */
  readonly dryRun?: boolean
  /** Also log every step and evaluation to this MLflow file store (`--mlflow`). */
  readonly mlflow?: string
}

/** A decoded protocol of some kind, ready to run. */
export interface Prepared<E, R> {
  readonly kind: string
  /** The protocol's name. */
  readonly name: string
  /** Runs the decoded protocol with the command line's request (run folder, seeds, flags). */
  readonly run: (request: RunRequest) => Effect.Effect<void, E, R>
}

/** One protocol kind: its name, its protocol Schema, and how a decoded protocol runs. */
export interface ProtocolKind<E = never, R = never> {
  readonly name: string
  /** One line for listings and errors. */
  readonly description: string
  /** The Schema of the protocol (the file form is its encoded side). */
  readonly schema: Schema.Top
  /** Decodes a parsed file of this kind (the `kind` field included) and binds its run. */
  readonly prepare: (input: unknown, source: string) => Effect.Effect<Prepared<E, R>, E>
}

/**
 * A protocol kind from its decoder and its run (the decoded protocol's type stays inside the entry).
 * @category constructors
 */
export const make = <P extends { readonly name: string }, E1, E2, R>(spec: {
  readonly name: string
  readonly description: string
  readonly schema: Schema.Top
  readonly decode: (input: unknown, source: string) => Effect.Effect<P, E1>
  readonly run: (protocol: P, request: RunRequest) => Effect.Effect<void, E2, R>
}): ProtocolKind<E1 | E2, R> => ({
  name: spec.name,
  description: spec.description,
  schema: spec.schema,
  prepare: (input, source) =>
    Effect.map(spec.decode(input, source), (protocol) => ({
      kind: spec.name,
      name: protocol.name,
      run: (request: RunRequest) => spec.run(protocol, request)
    }))
})

/** The kinds a dispatcher knows, by name. */
export interface Registry<E, R> {
  readonly kinds: ReadonlyMap<string, ProtocolKind<E, R>>
}

/** A registry of kinds (names must be unique). @category constructors */
export const registry = <E, R>(kinds: ReadonlyArray<ProtocolKind<E, R>>): Registry<E, R> => {
  const map = new Map<string, ProtocolKind<E, R>>()
  for (const k of kinds) {
    if (map.has(k.name)) throw new Error(`ProtocolKind.registry: kind "${k.name}" is registered twice`)
    map.set(k.name, k)
  }
  return { kinds: map }
}

/** The declared `kind` of a parsed protocol file: its `kind` field, {@link defaultKind} when absent. */
export const declaredKind = (value: unknown): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "kind" in value
    ? (value as { kind: unknown }).kind
    : defaultKind

/** A protocol file declares a kind no entry of the registry has. @category errors */
export class UnknownProtocolKind extends Data.TaggedError("UnknownProtocolKind")<{
  readonly source: string
  readonly got: unknown
  readonly allowed: ReadonlyArray<string>
}> {
  override get message(): string {
    return (
      `invalid protocol (${this.source}):\n  - at kind: must be one of ${this.allowed.map((k) => `"${k}"`).join(", ")} ` +
      `(absent means "${defaultKind}"), got ${JSON.stringify(this.got) ?? "nothing"}`
    )
  }
}

/** The entry of a parsed file's declared kind. */
export const kindOf = <E, R>(
  registry: Registry<E, R>,
  value: unknown,
  source: string
): Effect.Effect<ProtocolKind<E, R>, UnknownProtocolKind> => {
  const declared = declaredKind(value)
  const kind = typeof declared === "string" ? registry.kinds.get(declared) : undefined
  return kind === undefined
    ? Effect.fail(new UnknownProtocolKind({ source, got: declared, allowed: [...registry.kinds.keys()] }))
    : Effect.succeed(kind)
}

/** Decodes a parsed protocol file with the entry of its declared kind. */
export const prepare = <E, R>(
  registry: Registry<E, R>,
  value: unknown,
  source: string
): Effect.Effect<Prepared<E, R>, E | UnknownProtocolKind> =>
  Effect.flatMap(kindOf(registry, value, source), (kind) => kind.prepare(value, source))

/** `value` without its `kind` field when it declares `name` (for a kind whose protocol Schema has no `kind` key). */
export const withoutKind = (value: unknown, name: string): unknown => {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !("kind" in value)) return value
  const { kind, ...rest } = value as Record<string, unknown>
  return kind === name ? rest : value
}
