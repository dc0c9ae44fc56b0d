import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { AtomicFile, BoundedRead, Confine, RunFolder } from "../src/index.ts"

const tmpDir = () => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-io-"))
/** A process id that is certainly dead: a child that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ["-e", "0"]).pid!

describe("AtomicFile", () => {
  it("replaces a file; an injected ENOSPC half-way leaves the previous file and no temporary", async () => {
    const dir = await tmpDir()
    const file = path.join(dir, "results.json")
    await AtomicFile.writeFilePromise(file, "first")
    AtomicFile.testing.injectFault({ afterBytes: 3, code: "ENOSPC" })
    const exit = await Effect.runPromiseExit(AtomicFile.writeFile(file, "second, longer"))
    AtomicFile.testing.injectFault(undefined)
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit))
      expect(String(exit.cause)).toContain(
        `cannot write ${file}: no space left on the device (ENOSPC); nothing was replaced`
      )
    expect(await fs.readFile(file, "utf8")).toBe("first")
    expect(await fs.readdir(dir)).toEqual(["results.json"])
    await AtomicFile.writeFilePromise(file, "second")
    expect(await fs.readFile(file, "utf8")).toBe("second")
    await fs.rm(dir, { recursive: true })
  })

  // a real full disk: a 256 KiB tmpfs (needs root and permission to mount; skipped, saying why, elsewhere)
  const tmpfs = (() => {
    if (process.platform !== "linux" || process.getuid?.() !== 0) return "not root on Linux"
    const probe = mkdtempSync(path.join(os.tmpdir(), "reidfx-tmpfs-probe-"))
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", probe], { stdio: "ignore" })
      execFileSync("umount", [probe], { stdio: "ignore" })
      return undefined
    } catch {
      return "mounting a tmpfs is not permitted here"
    } finally {
      rmSync(probe, { recursive: true, force: true })
    }
  })()
  it.skipIf(tmpfs !== undefined)(
    `a real full disk (256 KiB tmpfs) keeps the previous file${tmpfs === undefined ? "" : ` [skipped: ${tmpfs}]`}`,
    async () => {
      const dir = await tmpDir()
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir])
      try {
        const file = path.join(dir, "results.json")
        await AtomicFile.writeFilePromise(file, "x".repeat(100_000))
        const exit = await Effect.runPromiseExit(AtomicFile.writeFile(file, new Uint8Array(1 << 20).fill(121)))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit))
          expect(String(exit.cause)).toContain(
            `cannot write ${file}: no space left on the device (ENOSPC); nothing was replaced`
          )
        expect(await fs.readFile(file, "utf8")).toBe("x".repeat(100_000))
        expect(await fs.readdir(dir)).toEqual(["results.json"])
      } finally {
        execFileSync("umount", [dir])
        await fs.rm(dir, { recursive: true })
      }
    }
  )

  it("swaps a folder in; a failing fill leaves the old folder untouched", async () => {
    const dir = await tmpDir()
    const target = path.join(dir, "model")
    await AtomicFile.writeDirPromise(target, (tmp) => AtomicFile.writeSyncedPromise(path.join(tmp, "a.bin"), "v1"))
    await expect(
      AtomicFile.writeDirPromise(target, async (tmp) => {
        await AtomicFile.writeSyncedPromise(path.join(tmp, "a.bin"), "v2")
        throw new Error("boom")
      })
    ).rejects.toThrow("boom")
    expect(await fs.readFile(path.join(target, "a.bin"), "utf8")).toBe("v1")
    expect(await fs.readdir(dir)).toEqual(["model"])
    await AtomicFile.writeDirPromise(target, (tmp) => AtomicFile.writeSyncedPromise(path.join(tmp, "b.bin"), "v3"))
    expect(await fs.readdir(target)).toEqual(["b.bin"])
    expect(await fs.readdir(dir)).toEqual(["model"])
    await fs.rm(dir, { recursive: true })
  })

  it("removes temporaries of dead processes only, restores a folder whose swap was interrupted", async () => {
    const dir = await tmpDir()
    const dead = deadPid()
    await fs.writeFile(path.join(dir, `results.json.tmp-${dead}-0a1b2c3d`), "partial")
    await fs.writeFile(path.join(dir, "state.json.tmp-deadbeef"), "legacy partial")
    await fs.writeFile(path.join(dir, `mine.json.tmp-${process.pid}-00000000`), "being written by this process")
    await fs.mkdir(path.join(dir, "units", "a", "ckpt", `m.tmp-${dead}-ff`), { recursive: true })
    // killed between "rename model aside" and "rename the new one in": only model.old-* exists
    await fs.mkdir(path.join(dir, `model.old-${dead}-12`))
    await fs.writeFile(path.join(dir, `model.old-${dead}-12`, "w.bin"), "old weights")
    await fs.writeFile(path.join(dir, "notes.txt"), "a user's file")
    const removed = await AtomicFile.removeStalePromise(dir)
    expect(removed.map((p) => path.relative(dir, p)).sort()).toEqual(
      [
        `results.json.tmp-${dead}-0a1b2c3d`,
        "state.json.tmp-deadbeef",
        path.join("units", "a", "ckpt", `m.tmp-${dead}-ff`)
      ].sort()
    )
    expect((await fs.readdir(dir)).sort()).toEqual(
      [`mine.json.tmp-${process.pid}-00000000`, "model", "notes.txt", "units"].sort()
    )
    expect(await fs.readFile(path.join(dir, "model", "w.bin"), "utf8")).toBe("old weights")
    await fs.rm(dir, { recursive: true })
  })
})

describe("RunFolder", () => {
  it("--fresh deletes a run folder but refuses a folder of user files, deleting nothing", async () => {
    const dir = await tmpDir()
    await fs.writeFile(path.join(dir, "thesis.tex"), "precious")
    const exit = await Effect.runPromiseExit(RunFolder.removeForFresh(dir))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit))
      expect(String(exit.cause)).toContain(
        `run folder ${dir}: not a reidfx run folder (no .reidfx-run file; it holds 1 entry, e.g. thesis.tex)`
      )
    expect(await fs.readFile(path.join(dir, "thesis.tex"), "utf8")).toBe("precious")
    // owned once, it is a run folder
    const run = path.join(dir, "run")
    await Effect.runPromise(Effect.scoped(RunFolder.own(run, "test")))
    await fs.writeFile(path.join(run, "results.json"), "{}")
    await Effect.runPromise(RunFolder.removeForFresh(run))
    expect(await fs.readdir(dir)).toEqual(["thesis.tex"])
    await fs.rm(dir, { recursive: true })
  })

  it("a second writer is refused with the other process's id; a dead process's lock is taken over", async () => {
    const dir = await tmpDir()
    // a live other process: our parent
    await fs.writeFile(path.join(dir, RunFolder.LOCK), `${process.ppid}\n`)
    const exit = await Effect.runPromiseExit(Effect.scoped(RunFolder.own(dir, "test")))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit))
      expect(String(exit.cause)).toContain(
        `run folder ${dir}: in use by process ${process.ppid} (lock file ${path.join(dir, RunFolder.LOCK)})`
      )
    await fs.writeFile(path.join(dir, RunFolder.LOCK), `${deadPid()}\n`)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* RunFolder.own(dir, "test")
          expect(yield* Effect.promise(() => fs.readFile(path.join(dir, RunFolder.LOCK), "utf8"))).toBe(
            `${process.pid}\n`
          )
        })
      )
    )
    // released at scope end; the marker stays
    expect(await fs.readdir(dir)).toEqual([RunFolder.MARKER])
    await fs.rm(dir, { recursive: true })
  })
})

describe("BoundedRead", () => {
  it("refuses devices, FIFOs, folders and files over the limit before reading", async () => {
    const dir = await tmpDir()
    const reason = async (file: string, limit?: number) => {
      const exit = await Effect.runPromiseExit(BoundedRead.readText(file, limit))
      return Exit.isFailure(exit) ? String(exit.cause) : "read"
    }
    expect(await reason("/dev/zero")).toContain("cannot read /dev/zero: it is a character device, not a regular file")
    const fifo = path.join(dir, "pipe")
    execFileSync("mkfifo", [fifo])
    expect(await reason(fifo)).toContain(`cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`)
    expect(await reason(dir)).toContain("it is a folder, not a regular file")
    await fs.writeFile(path.join(dir, "big.yaml"), "x".repeat(2000))
    expect(await reason(path.join(dir, "big.yaml"), 1000)).toContain(
      "it holds 0.002 MiB, more than the limit of 0.001 MiB"
    )
    expect(await reason(path.join(dir, "big.yaml"), 2000)).toBe("read")
    expect(await reason(path.join(dir, "missing.yaml"))).toContain("no such file or folder (ENOENT)")
    await fs.rm(dir, { recursive: true })
  })
})

describe("Confine", () => {
  it("refuses .., absolute paths and symlinks out of the root; accepts paths and symlinks inside", async () => {
    const dir = await tmpDir()
    const root = path.join(dir, "model")
    await fs.mkdir(path.join(root, "sub"), { recursive: true })
    await fs.writeFile(path.join(root, "sub", "w.bin"), "w")
    await fs.writeFile(path.join(dir, "secret"), "s")
    await fs.symlink(path.join(dir, "secret"), path.join(root, "out.bin"))
    await fs.symlink(path.join(root, "sub", "w.bin"), path.join(root, "in.bin"))
    const check = (name: string, allowAbsolute = false) =>
      Confine.resolveInsidePromise(root, name, { where: "model.json", allowAbsolute }).then(
        (p) => path.relative(root, p),
        (e: Error) => e.message
      )
    expect(await check("sub/w.bin")).toBe(path.join("sub", "w.bin"))
    expect(await check("in.bin")).toBe("in.bin")
    expect(await check("sub/../sub/w.bin")).toBe(path.join("sub", "w.bin"))
    expect(await check("../secret")).toBe(
      `model.json: path "../secret" resolves outside ${root}; only paths inside that folder are read`
    )
    expect(await check("../../../../etc/passwd")).toContain('path "../../../../etc/passwd" resolves outside')
    expect(await check("/etc/passwd")).toContain('path "/etc/passwd" resolves outside')
    expect(await check("out.bin")).toContain('path "out.bin" resolves outside')
    expect(await check("/etc/passwd", true)).toBe(path.relative(root, "/etc/passwd"))
    await fs.rm(dir, { recursive: true })
  })
})
