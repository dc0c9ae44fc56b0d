/**
 * One design for every catalog of reidfx (losses and distillation terms, lifelong strategies, backbones, dataset
 * layouts, samplers): a catalog is an immutable list of **entries**, each exported by its own file, with a name,
 * the older spellings still accepted, and whatever its kind needs (an options Schema, a constructor, metadata).
 * The vocabulary a configuration file may use is derived from a catalog (`names`, `nameSchema`), so adding an entry
 * is one file, one test and one line in the catalog's list, and no `switch` over names exists anywhere.
 *
 * A user program extends a catalog without editing a package: `catalog.with(myEntry)` is a new catalog holding
 * the built-in entries and the new one (the original is unchanged), which the program passes where the catalog
 * is used (e.g. `ProtocolFile.decode(text, { catalogs })` and the learner's options in `@reidfx/reid`).
 *
 * ```ts
 * const layouts = Registry.make("dataset layout", [market1501, dukeMTMCReID])
 * layouts.get("dukemtmcReid") // the DukeMTMC-reID entry, by one of its aliases
 * ```
 * @since 0.3.0
 */
import { Schema, SchemaGetter } from "effect"
import { InvalidOption } from "./errors.ts"

/** What every catalog entry has. @category models */
export interface Entry {
  /** The name a configuration file uses. */
  readonly name: string
  /** Older spellings of the name, still accepted (and decoded to `name`). */
  readonly aliases?: ReadonlyArray<string>
  /** One line for help texts and docs. */
  readonly description: string
}

/** A catalog: entries by name. @category models */
export interface Registry<E extends Entry> {
  /** What the entries are, for messages ("dataset layout", "backbone", ...). */
  readonly kind: string
  readonly entries: ReadonlyArray<E>
  /** The entry of a name or alias (undefined when the catalog has none). */
  readonly get: (name: string) => E | undefined
  /** The entry of a name or alias; an unknown name is an `InvalidOption` listing the names. */
  readonly require: (name: string) => E
  /** The canonical names, in catalog order. */
  readonly names: ReadonlyArray<string>
  /** The names and the aliases: every spelling a file may use. */
  readonly spellings: ReadonlyArray<string>
  /** The same catalog with more entries (a name or alias already taken throws `InvalidOption`). */
  with(...entries: ReadonlyArray<E>): Registry<E>
}

/** A catalog of entries; a repeated name or alias throws `InvalidOption` (a programming error). @category constructors */
export const make = <E extends Entry>(kind: string, entries: ReadonlyArray<E>): Registry<E> => {
  const byName = new Map<string, E>()
  for (const entry of entries) {
    for (const spelling of [entry.name, ...(entry.aliases ?? [])]) {
      if (byName.has(spelling)) {
        throw new InvalidOption({
          what: `${kind} catalog`,
          detail: `"${spelling}" is already taken by ${byName.get(spelling)!.name}; choose another name`
        })
      }
      byName.set(spelling, entry)
    }
  }
  const names = entries.map((e) => e.name)
  const registry: Registry<E> = {
    kind,
    entries,
    get: (name) => byName.get(name),
    require: (name) => {
      const entry = byName.get(name)
      if (entry === undefined) {
        throw new InvalidOption({ what: kind, detail: `unknown name "${name}"; known: ${names.join(", ")}` })
      }
      return entry
    },
    names,
    spellings: [...byName.keys()],
    with: (...more) => make(kind, [...entries, ...more])
  }
  return registry
}

/**
 * The Schema of the names of a catalog, for configuration files: the canonical names and the aliases are
 * accepted, an alias decodes to its canonical name, and a name encodes to itself. `N` is the union of the
 * canonical names (give it when the entries are known statically). @category schemas
 */
export const nameSchema = <N extends string = string>(
  registry: Registry<Entry>
): Schema.Codec<N, string> & { readonly literals: ReadonlyArray<N> } => {
  const canonical = Schema.Literals(registry.names as ReadonlyArray<N> as [N, ...Array<N>])
  const aliases = registry.spellings.filter((s) => !registry.names.includes(s))
  if (aliases.length === 0) return canonical as never
  const schema = Schema.Literals(registry.spellings as [string, ...Array<string>]).pipe(
    Schema.decodeTo(canonical, {
      decode: SchemaGetter.transform((s: string) => registry.get(s)!.name as N),
      encode: SchemaGetter.transform((n: N) => n as string)
    })
  )
  return Object.assign(schema, { literals: canonical.literals }) as never
}
