#!/usr/bin/env node
// Checks the relative links of the project's Markdown (README.md, docs/, packages/*/README.md, bench/README.md):
// every `[text](target)` that is not an external URL must name an existing file, and a `#fragment` must name a
// heading of its file (GitHub's slug rule). Prints one line per broken link and exits 1 if there is any.
// External links (http, https, mailto) are not fetched: CI has no internet.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

// the repository root (another tree with REIDFX_LINK_CHECK_ROOT: the check's own test runs it on a made-up one)
const root = resolve(process.env.REIDFX_LINK_CHECK_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), ".."))

const markdownFiles = () => {
  const files = ["README.md", "bench/README.md"].map((f) => join(root, f)).filter(existsSync)
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith(".md")) files.push(path)
    }
  }
  if (existsSync(join(root, "docs"))) walk(join(root, "docs"))
  for (const pkg of readdirSync(join(root, "packages"))) {
    const readme = join(root, "packages", pkg, "README.md")
    if (existsSync(readme)) files.push(readme)
  }
  return files
}

/** GitHub's heading anchor: lower case, punctuation dropped except - and _, spaces to -. */
export const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-")

const anchors = (file) => {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "")
  const seen = new Map()
  const out = new Set()
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

const broken = []
for (const file of markdownFiles()) {
  const text = readFileSync(file, "utf8")
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "")
  for (const match of text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]
    if (/^(https?:|mailto:)/.test(target)) continue
    const [pathPart, fragment] = target.split("#", 2)
    const linked = pathPart === "" ? file : resolve(dirname(file), decodeURIComponent(pathPart))
    const where = relative(root, file)
    if (!existsSync(linked)) {
      broken.push(`${where}: link to ${target}: no such file`)
      continue
    }
    if (fragment !== undefined && fragment !== "" && linked.endsWith(".md") && !anchors(linked).has(fragment)) {
      broken.push(`${where}: link to ${target}: no heading #${fragment} in ${relative(root, linked)}`)
    }
  }
}
for (const line of broken) console.error(line)
console.log(`${broken.length} broken link(s) in the Markdown files`)
process.exit(broken.length === 0 ? 0 : 1)
