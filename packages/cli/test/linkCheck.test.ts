/**
 * The Markdown link check of `npm run docs` (`scripts/check-links.mjs`), run on a made-up tree: a link to a
 * missing file and a link to a missing heading are each reported in one line and fail the check; links to
 * existing files and headings (GitHub's slugs, duplicates numbered), external URLs and links inside code pass.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const script = resolve(import.meta.dirname, "..", "..", "..", "scripts", "check-links.mjs")

const check = (root: string) => {
  const r = spawnSync(process.execPath, [script], { env: { ...process.env, REIDFX_LINK_CHECK_ROOT: root } })
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

const tree = (readme: string) => {
  const root = mkdtempSync(join(tmpdir(), "reidfx-links-"))
  mkdirSync(join(root, "docs"))
  mkdirSync(join(root, "packages", "pkg"), { recursive: true })
  writeFileSync(join(root, "docs", "guide.md"), "# The `Guide`: setup\n\n## Notes\n\n## Notes\n")
  writeFileSync(join(root, "packages", "pkg", "README.md"), "see [the guide](../../docs/guide.md#notes-1)\n")
  writeFileSync(join(root, "README.md"), readme)
  return root
}

describe("the Markdown link check", () => {
  it("passes existing files and headings, external URLs and links in code", () => {
    const root = tree(
      [
        "[guide](docs/guide.md), [setup](docs/guide.md#the-guide-setup), [self](#top)",
        "# Top",
        "[web](https://example.org/missing.md) `[code](nowhere.md)`",
        "```",
        "[block](nowhere.md)",
        "```"
      ].join("\n")
    )
    const r = check(root)
    expect(r.stderr).toBe("")
    expect(r.stdout.trim()).toBe("0 broken link(s) in the Markdown files")
    expect(r.status).toBe(0)
  })

  it("reports a missing file and a missing heading, one line each, and fails", () => {
    const root = tree("[a](docs/missing.md) and [b](docs/guide.md#setup)\n")
    const r = check(root)
    expect(r.stderr.trim().split("\n")).toEqual([
      "README.md: link to docs/missing.md: no such file",
      "README.md: link to docs/guide.md#setup: no heading #setup in docs/guide.md"
    ])
    expect(r.stdout.trim()).toBe("2 broken link(s) in the Markdown files")
    expect(r.status).toBe(1)
  })
})
