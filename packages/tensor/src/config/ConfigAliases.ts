/**
 * Deprecated key names of the config dialects (`RunConfig`, `Protocol`, `MdktProtocol`): an old name (and, where
 * its values were spelled differently, the old values) is read as the current one before decoding, with a
 * one-line warning that says what to write instead. Every dialect uses one name for the learning rate
 * (`learningRate`) and one for the objects of the synthetic world (`objects: persons | vehicles`); the train
 * config's former `schedule.baseLr` and `data.kind: person | vehicle` are such aliases.
 * @since 0.1.0
 */
import { showPath, valueAt } from "./ConfigIssues.ts"

/**
 * An old key name: at `at` (the object holding it; `[]` is the root), `old` is read as `name`, its value mapped
 * by `values` when given (e.g. `{ person: "persons" }`).
 * @category models
 * @since 0.1.0
 */
export interface Alias {
  readonly at: ReadonlyArray<string>
  readonly old: string
  readonly name: string
  readonly values?: Readonly<Record<string, unknown>>
}

/** The input with every old name replaced, the warnings, and the conflicts (old and new name both given). @category models @since 0.1.0 */
export interface Applied {
  readonly input: unknown
  readonly warnings: ReadonlyArray<string>
  readonly conflicts: ReadonlyArray<string>
}

const show = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

/**
 * Reads the old names of `input` as the new ones (a copy; `input` is untouched). A warning per old name found:
 * `schedule.baseLr is deprecated: write schedule.learningRate (read as schedule.learningRate: 0.1)`; a conflict
 * when the object holds both names: `schedule: give schedule.learningRate only (schedule.baseLr is its deprecated name)`.
 * @category aliases
 * @since 0.1.0
 */
export const apply = (input: unknown, aliases: ReadonlyArray<Alias>): Applied => {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return { input, warnings: [], conflicts: [] }
  const root = structuredClone(input) as Record<string, unknown>
  const warnings: Array<string> = []
  const conflicts: Array<string> = []
  for (const alias of aliases) {
    const holder = alias.at.length === 0 ? root : valueAt(root, alias.at)
    if (holder === null || typeof holder !== "object" || Array.isArray(holder)) continue
    const node = holder as Record<string, unknown>
    if (!Object.hasOwn(node, alias.old)) continue
    const oldPath = showPath([...alias.at, alias.old])
    const newPath = showPath([...alias.at, alias.name])
    if (Object.hasOwn(node, alias.name)) {
      conflicts.push(`${newPath}: give ${newPath} only (${oldPath} is its deprecated name)`)
      continue
    }
    const old = node[alias.old]
    const value =
      alias.values !== undefined && typeof old === "string" && Object.hasOwn(alias.values, old)
        ? alias.values[old]
        : old
    delete node[alias.old]
    node[alias.name] = value
    warnings.push(`${oldPath} is deprecated: write ${newPath} (read as ${newPath}: ${show(value)})`)
  }
  return { input: root, warnings, conflicts }
}
