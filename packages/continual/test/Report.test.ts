import { describe, expect, it } from "vitest"
import type { Provenance } from "@reidfx/tensor"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Html, Markdown, Report } from "../src/index.ts"

// the engine's one report writer, on a result that is not a lifelong run (a recipe's own result and renderers)
interface Toy {
  readonly name: string
  readonly score: number
}

const toy: Report.Renderers<Toy> = {
  json: (r) => ({ name: r.name, score: r.score }),
  markdown: (r, p) => [`# ${r.name}`, "", ...Markdown.provenanceBlock(p), `score ${r.score}`].join("\n"),
  html: (r, p) => Effect.succeed(`<h1>${r.name}</h1>\n${Html.provenanceNote(p)}\n<p>${r.score}</p>`)
}

const provenance: Provenance.Provenance = {
  reidfx: "0.1.0",
  commit: "0123456789abcdef",
  backend: "cpu",
  threads: 1,
  node: "v24.0.0",
  platform: "linux-x64",
  commandLine: ["reidfx", "run", "toy.yaml"],
  configHash: "00112233aabbccdd",
  startedAt: "2026-01-01T00:00:00.000Z"
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "report-"))

describe("Report.writeWith: one writer for every protocol kind's reports", () => {
  it("writes results.json, report.md and report.html with the provenance on top of each", async () => {
    const out = tmp()
    const written = await Effect.runPromise(Report.writeWith(out, { name: "toy", score: 7 }, toy, provenance))
    expect(written).toEqual({
      json: path.join(out, "results.json"),
      markdown: path.join(out, "report.md"),
      html: path.join(out, "report.html")
    })
    const text = fs.readFileSync(written.json, "utf8")
    // provenance is the first key, then the renderer's object, indented by one space
    expect(Object.keys(JSON.parse(text))).toEqual(["provenance", "name", "score"])
    expect(JSON.parse(text).provenance).toEqual(provenance)
    expect(text.startsWith('{\n "provenance": {\n  "reidfx": "0.1.0",')).toBe(true)
    expect(fs.readFileSync(written.markdown, "utf8")).toBe(
      [
        "# toy",
        "",
        "> reidfx 0.1.0, commit 0123456789ab  ",
        "> backend cpu (1 thread(s)), Node v24.0.0, linux-x64  ",
        "> command: reidfx run toy.yaml  ",
        "> config hash 00112233aabbccdd, started 2026-01-01T00:00:00.000Z  ",
        "",
        "score 7"
      ].join("\n")
    )
    expect(fs.readFileSync(written.html, "utf8")).toBe(
      '<h1>toy</h1>\n<p class="note provenance">reidfx 0.1.0, commit 0123456789ab<br>backend cpu (1 thread(s)), Node v24.0.0, linux-x64<br>command: reidfx run toy.yaml<br>config hash 00112233aabbccdd, started 2026-01-01T00:00:00.000Z</p>\n<p>7</p>'
    )
    // no temporary file is left behind (each file is renamed into place)
    expect(fs.readdirSync(out).sort()).toEqual(["report.html", "report.md", "results.json"])
  })

  it("without provenance: the renderer's JSON alone, no provenance lines", async () => {
    const out = tmp()
    const written = await Effect.runPromise(Report.writeWith(out, { name: "toy", score: 7 }, toy))
    expect(fs.readFileSync(written.json, "utf8")).toBe(JSON.stringify({ name: "toy", score: 7 }, null, 1))
    expect(fs.readFileSync(written.markdown, "utf8")).toBe("# toy\n\nscore 7")
    expect(fs.readFileSync(written.html, "utf8")).toBe("<h1>toy</h1>\n\n<p>7</p>")
  })

  it("a folder that cannot be written is a RunStoreError naming the file, and nothing is half-written", async () => {
    const dir = tmp()
    const blocker = path.join(dir, "file")
    fs.writeFileSync(blocker, "not a folder")
    const error = await Effect.runPromise(Effect.flip(Report.writeWith(blocker, { name: "toy", score: 1 }, toy)))
    expect(error._tag).toBe("RunStoreError")
    expect(error.message).toContain(path.join(blocker, "results.json"))
    expect(fs.readFileSync(blocker, "utf8")).toBe("not a folder")
  })
})
