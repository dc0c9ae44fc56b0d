/**
 * `reidfx init [folder]`: copies the protocol files shipped with reidfx (lifelong, inter-domain, MDKT) into a folder
 * of the user's (default `protocols/`), as a starting point for `reidfx run`. It never overwrites a file: an existing
 * file of the same name is kept and reported, so nothing the user wrote is lost.
 * @since 0.1.0
 */
import { Console, Effect, FileSystem } from "effect"
import { Argument, CliError, Command } from "effect/cli"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const userError = (message: string) => new CliError.UserError({ cause: message, userMessage: message })

/**
 * Where the shipped protocols are: `protocols/` beside `dist/` in an installed package (copied there when the
 * package is packed), or the repository's `protocols/` when reidfx runs from a checkout.
 * @since 0.1.0
 * @category constants
 */
export const shippedProtocolsFolder = (): string | undefined => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [path.join(here, "..", "..", "protocols"), path.join(here, "..", "..", "..", "..", "protocols")]
  return candidates.find((dir) => existsSync(path.join(dir, "lifelong-synthetic.yaml")))
}

/**
 * Copies every shipped `.yaml` protocol into `target`, skipping names that exist there; returns what it did.
 * @since 0.1.0
 * @category constructors
 */
export const copyProtocols = (
  source: string,
  target: string
): Effect.Effect<
  { readonly written: ReadonlyArray<string>; readonly kept: ReadonlyArray<string> },
  CliError.UserError,
  FileSystem.FileSystem
> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const fail = (what: string) => (e: { readonly message: string }) =>
      userError(`reidfx init: cannot ${what}: ${e.message}`)
    const names = (yield* fs.readDirectory(source).pipe(Effect.mapError(fail(`read ${source}`))))
      .filter((n) => n.endsWith(".yaml"))
      .sort()
    yield* fs.makeDirectory(target, { recursive: true }).pipe(Effect.mapError(fail(`create ${target}`)))
    const written: Array<string> = []
    const kept: Array<string> = []
    for (const name of names) {
      const to = path.join(target, name)
      if (yield* fs.exists(to).pipe(Effect.mapError(fail(`check ${to}`)))) {
        kept.push(name)
        continue
      }
      yield* fs.copyFile(path.join(source, name), to).pipe(Effect.mapError(fail(`write ${to}`)))
      written.push(name)
    }
    return { written, kept }
  })

export const initCommand = Command.make(
  "init",
  {
    folder: Argument.String("folder").pipe(
      Argument.withDefault("protocols"),
      Argument.withDescription("Where to write the protocol files (default protocols/)")
    )
  },
  ({ folder }) =>
    Effect.gen(function* () {
      const source = shippedProtocolsFolder()
      if (source === undefined)
        return yield* userError(
          "reidfx init: this installation has no shipped protocols folder (reinstall @reidfx/cli)"
        )
      const { kept, written } = yield* copyProtocols(source, folder)
      for (const name of written) yield* Console.log(`wrote ${path.join(folder, name)}`)
      for (const name of kept) yield* Console.log(`kept ${path.join(folder, name)} (exists; not overwritten)`)
      yield* Console.log(`next: reidfx run ${path.join(folder, "lifelong-synthetic.yaml")}`)
    })
).pipe(Command.withDescription("Copy the shipped protocol files into a folder (never overwrites)"))
