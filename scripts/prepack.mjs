#!/usr/bin/env node
// Runs as `prepack` in every package folder (npm pack / npm publish): copies what a published package needs but the
// repository keeps once at the root. Every package gets the root LICENSE; @reidfx/cli also gets the shipped protocol
// files (protocols/*.yaml), which `reidfx init` copies into a user's folder. The copies are git-ignored.
import { copyFileSync, cpSync, existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const here = process.cwd()
const name = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).name
if (!existsSync(join(here, "dist", "index.js"))) {
  console.error(`${name}: dist/index.js is missing; the prepack build did not run`)
  process.exit(1)
}
copyFileSync(join(root, "LICENSE"), join(here, "LICENSE"))
if (name === "@reidfx/cli") cpSync(join(root, "protocols"), join(here, "protocols"), { recursive: true })
