/**
 * The published packages work from their tarballs: `npm pack` every workspace package (its `prepack` builds it and
 * copies the LICENSE, and the shipped protocols for the CLI), install the tarballs into an empty project (their
 * third-party dependencies come from the npm registry), then use the installed `reidfx` as a user would:
 * `--version`, `init`, `eval` on feature files, and a tiny lifelong `run`.
 *
 * Needs the npm registry; skipped (with the reason) when `REIDFX_SKIP_PACK_TEST=1`.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { toyProtocol } from "./toyProtocol.ts"

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")
const skip = process.env.REIDFX_SKIP_PACK_TEST === "1"
const sh = (cmd: string, args: ReadonlyArray<string>, cwd: string): string => {
  try {
    // the fresh install runs on its default backend: it has no built torch addon, so a REIDFX_BACKEND given to the
    // test run (`REIDFX_BACKEND=torch npm test`) is not passed on
    const { REIDFX_BACKEND: _backend, ...env } = process.env
    return execFileSync(cmd, [...args], {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 540_000
    })
  } catch (e) {
    const { stderr, stdout } = e as { readonly stderr?: string; readonly stdout?: string }
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`)
  }
}

const toy = toyProtocol("toy-pack", ["bot-ft"])

describe.skipIf(skip)("packed tarballs", () => {
  it("install into an empty project and run reidfx from there", () => {
    const work = mkdtempSync(join(tmpdir(), "reidfx-pack-"))
    const tarballs = join(work, "tarballs")
    mkdirSync(tarballs)
    sh("npm", ["pack", "--workspaces", "--silent", "--pack-destination", tarballs], repo)
    const files = readdirSync(tarballs)
      .filter((f) => f.endsWith(".tgz"))
      .sort()
    const packages = readdirSync(join(repo, "packages")).filter((d) =>
      existsSync(join(repo, "packages", d, "package.json"))
    )
    expect(files).toHaveLength(packages.length)

    // what a tarball holds: built code and its license, no build state
    const cliFiles = sh("tar", ["tzf", join(tarballs, "reidfx-cli-0.1.0.tgz")], work).split("\n")
    expect(cliFiles).toContain("package/dist/bin.js")
    expect(cliFiles).toContain("package/LICENSE")
    expect(cliFiles).toContain("package/protocols/lifelong-synthetic.yaml")
    expect(cliFiles.filter((f) => f.endsWith(".tsbuildinfo"))).toEqual([])

    const project = join(work, "project")
    mkdirSync(project)
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
    sh(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", ...files.map((f) => join(tarballs, f))],
      project
    )
    // one copy of effect and of tfjs-core for every package: schemas and tensors cross package boundaries
    for (const shared of ["effect", "@tensorflow/tfjs-core"]) {
      const copies = new Set(
        sh("npm", ["ls", shared, "--all", "--parseable"], project)
          .split("\n")
          .filter((l) => l.includes("node_modules"))
      )
      expect([...copies], shared).toHaveLength(1)
    }
    const reidfx = (...args: Array<string>) =>
      sh(process.execPath, [join(project, "node_modules", "@reidfx", "cli", "dist", "bin.js"), ...args], project)

    expect(reidfx("--version").trim()).toBe("reidfx v0.1.0")
    expect(reidfx("init", "protocols")).toContain("wrote protocols/lifelong-synthetic.yaml")
    expect(readFileSync(join(project, "protocols", "mdkt-synthetic.yaml"), "utf8")).toBe(
      readFileSync(join(repo, "protocols", "mdkt-synthetic.yaml"), "utf8")
    )

    // eval: query 0 ranks its match first (AP 1), query 1 second behind identity 3 (AP 1/2): mAP 0.75
    const write = (name: string, value: unknown) => writeFileSync(join(project, name), JSON.stringify(value))
    write("qf.json", [
      [1, 0],
      [0, 1]
    ])
    write("gf.json", [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.1, 0.95]
    ])
    write("qid.json", [1, 2])
    write("qcam.json", [0, 0])
    write("gid.json", [1, 2, 3])
    write("gcam.json", [1, 1, 1])
    const evalOut = reidfx(
      "eval",
      "--query-features",
      "qf.json",
      "--gallery-features",
      "gf.json",
      "--query-ids",
      "qid.json",
      "--query-cams",
      "qcam.json",
      "--gallery-ids",
      "gid.json",
      "--gallery-cams",
      "gcam.json",
      "--json",
      "metrics.json"
    )
    expect(evalOut).toContain("2 queries (2 with a valid match), 3 gallery items, 2-d")
    const metrics = JSON.parse(readFileSync(join(project, "metrics.json"), "utf8"))
    expect(metrics.original.mAP).toBeCloseTo(0.75, 6)

    writeFileSync(join(project, "toy.yaml"), toy)
    reidfx("run", "toy.yaml", "--out", "runs/toy")
    const results = readFileSync(join(project, "runs", "toy", "results.json"), "utf8")
    expect(results).toContain("BoT-FT")
    expect(existsSync(join(project, "runs", "toy", "report.html"))).toBe(true)
  }, 600_000)
})
