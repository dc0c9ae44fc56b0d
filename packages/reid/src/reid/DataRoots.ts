/**
 * Dataset roots of a protocol: `$REIDFX_DATA` (or `${REIDFX_DATA}`) in a `root` is replaced by the environment
 * variable `REIDFX_DATA`, so the shipped protocol files (`protocols/lreid-*.yaml`, `protocols/dwopp-*.yaml`) run
 * on any machine that keeps the datasets under one folder. Before anything is read, every root of the protocol
 * is checked; the missing ones are reported together, each with the layout its reader expects
 * ({@link DatasetRootsMissing}).
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { DataFolder, LayoutCatalog } from "@reidfx/data"
import { type Config, Data, Effect, Option } from "effect"
import type { LayoutName, Protocol, World } from "../Protocol.ts"

/** The environment variable that holds the folder of the datasets (`@reidfx/data`'s `DataFolder.variable`). */
export const variable = DataFolder.variable

/** The expected layout of each protocol layout name (what `DatasetRootsMissing` shows; from `LayoutCatalog`). */
export const layoutOf: Record<LayoutName, string> = Object.fromEntries(
  LayoutCatalog.builtin.entries.map((e) => [e.name, e.layout] as const)
) as Record<LayoutName, string>

/** One root that is not there. */
export interface MissingRoot {
  /** Where it is used (e.g. `data.split.sequence[1]`). */
  readonly at: string
  readonly layout: LayoutName
  /** The root as written in the protocol. */
  readonly written: string
  /** The root after `$REIDFX_DATA` was replaced (absent when the variable is not set). */
  readonly resolved?: string
}

/**
 * Dataset folders of a protocol are missing, or the protocol uses `$REIDFX_DATA` and the variable is not set.
 * The message lists every missing folder with the layout expected there. @category errors
 */
export class DatasetRootsMissing extends Data.TaggedError("DatasetRootsMissing")<{
  readonly missing: ReadonlyArray<MissingRoot>
  /** The value of `REIDFX_DATA` (undefined when not set). */
  readonly data: string | undefined
}> {
  override get message(): string {
    const head =
      this.data === undefined && this.missing.some((m) => m.resolved === undefined)
        ? DataFolder.notSetMessage
        : `${this.missing.length} dataset folder(s) missing${this.data === undefined ? "" : ` (${variable}=${this.data})`}`
    const lines = this.missing.map(
      (m) =>
        `- ${m.at} (layout ${m.layout}): ${m.resolved ?? m.written} not found; expected:\n${layoutOf[m.layout].replace(/^/gm, "    ")}`
    )
    return [head, ...lines].join("\n")
  }
}

/** Replaces `$REIDFX_DATA` / `${REIDFX_DATA}` in a root (undefined when it is used and `data` is undefined; `@reidfx/data`'s `DataFolder.expand`). */
export const expand = DataFolder.expand

type LayoutWorld = Extract<World, { kind: "layout" }>

/** Every dataset world of a protocol with where it is used. */
const worlds = (protocol: Protocol): Array<{ readonly at: string; readonly world: World }> => {
  const split = protocol.data.split
  if (split.kind === "intraDomain") return [{ at: "data.split.world", world: split.world }]
  return [
    ...split.sequence.map((t, i) => ({ at: `data.split.sequence[${i}] (${t.name})`, world: t.world })),
    ...split.unseen.map((t, i) => ({ at: `data.split.unseen[${i}] (${t.name})`, world: t.world }))
  ]
}

/**
 * The protocol with `$REIDFX_DATA` replaced in every dataset root, after checking that every root is an existing
 * folder (all missing ones are listed in one {@link DatasetRootsMissing}). `data` is the value of `REIDFX_DATA`.
 */
export const resolve = (protocol: Protocol, data: string | undefined): Effect.Effect<Protocol, DatasetRootsMissing> =>
  Effect.suspend(() => {
    const value = data === "" ? undefined : data
    const missing: Array<MissingRoot> = []
    const fix = (at: string, world: World): World => {
      if (world.kind !== "layout") return world
      const resolved = expand(world.root, value)
      const isDir = resolved !== undefined && fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()
      if (!isDir)
        missing.push({ at, layout: world.layout, written: world.root, ...(resolved === undefined ? {} : { resolved }) })
      return { ...world, root: resolved ?? world.root } satisfies LayoutWorld
    }
    const split = protocol.data.split
    const next: Protocol =
      split.kind === "intraDomain"
        ? { ...protocol, data: { split: { ...split, world: fix("data.split.world", split.world) } } }
        : {
            ...protocol,
            data: {
              split: {
                ...split,
                sequence: split.sequence.map((t, i) => ({
                  ...t,
                  world: fix(`data.split.sequence[${i}] (${t.name})`, t.world)
                })),
                unseen: split.unseen.map((t, i) => ({
                  ...t,
                  world: fix(`data.split.unseen[${i}] (${t.name})`, t.world)
                }))
              }
            }
          }
    return missing.length === 0 ? Effect.succeed(next) : Effect.fail(new DatasetRootsMissing({ missing, data: value }))
  })

/** The layout datasets of a protocol (for listing what a protocol needs). */
export const layoutsOf = (protocol: Protocol): Array<{ readonly at: string; readonly world: LayoutWorld }> =>
  worlds(protocol).flatMap((w) => (w.world.kind === "layout" ? [{ at: w.at, world: w.world }] : []))

/** `REIDFX_DATA` from the configuration (the environment by default; a `ConfigProvider` in tests; `@reidfx/data`'s `DataFolder.DataConfig`). */
export const DataConfig = DataFolder.DataConfig

/** {@link resolve} with `REIDFX_DATA` read from the configuration. */
export const resolveFromConfig = (
  protocol: Protocol
): Effect.Effect<Protocol, DatasetRootsMissing | Config.ConfigError> =>
  Effect.gen(function* () {
    const data = yield* DataConfig
    return yield* resolve(protocol, Option.getOrUndefined(data))
  })
