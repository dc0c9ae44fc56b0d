import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Readers from "../src/Readers.ts"

const mkdtemp = () => fs.mkdtemp(path.join(os.tmpdir(), "reidfx-readers-safety-"))
const touch = async (file: string) => {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, "x")
}

describe("readers: symbolic links and manifest paths", () => {
  it("Market-1501: a link inside the dataset folder is followed; links out of it and broken ones are skipped and counted", async () => {
    const base = await mkdtemp()
    const root = path.join(base, "market")
    await touch(path.join(root, "images/0002_c1s1_000451_03.jpg"))
    await touch(path.join(base, "elsewhere/0005_c2s1_000001_01.jpg"))
    await touch(path.join(root, "bounding_box_train/0007_c6s3_085592_02.jpg"))
    await touch(path.join(root, "query/0003_c1s6_015971_00.jpg"))
    await touch(path.join(root, "bounding_box_test/0003_c4s6_016046_00.jpg"))
    await fs.symlink("../images/0002_c1s1_000451_03.jpg", path.join(root, "bounding_box_train/0002_c1s1_000451_03.jpg"))
    await fs.symlink(
      path.join(base, "elsewhere/0005_c2s1_000001_01.jpg"),
      path.join(root, "bounding_box_train/0005_c2s1_000001_01.jpg")
    )
    await fs.symlink("../images/missing.jpg", path.join(root, "bounding_box_train/0009_c1s1_000001_01.jpg"))
    const ds = await Effect.runPromise(Readers.market1501(root))
    expect(ds.train.map((i) => [i.id, i.cam])).toEqual([
      [2, 0],
      [7, 5]
    ])
    expect(ds.report?.skipped).toEqual({
      "bounding_box_train: symbolic link to outside the dataset folder": 1,
      "bounding_box_train: broken symbolic link": 1
    })
    await fs.rm(base, { recursive: true })
  })

  it("a CSV manifest's paths must stay inside its folder unless absolute paths are allowed", async () => {
    const base = await mkdtemp()
    const file = path.join(base, "list.csv")
    const read = async (rows: string, options?: { allowAbsolutePaths: boolean }) => {
      await fs.writeFile(file, `path,id,cam\n${rows}\n`)
      const exit = await Effect.runPromiseExit(Readers.manifest(file, "list", options))
      return Exit.isSuccess(exit)
        ? exit.value.train.map((i) => (i.source as { path: string }).path)
        : String(exit.cause)
    }
    expect(await read("images/a.jpg,1,0")).toEqual([path.join(base, "images/a.jpg")])
    expect(await read("images/a.jpg,1,0\n../../etc/passwd,2,0")).toContain(
      `${file}: path "../../etc/passwd" resolves outside ${base}; manifest paths must stay inside the manifest's folder`
    )
    expect(await read("/data/a.jpg,1,0")).toContain('path "/data/a.jpg" resolves outside')
    expect(await read("/data/a.jpg,1,0", { allowAbsolutePaths: true })).toEqual(["/data/a.jpg"])
    await fs.rm(base, { recursive: true })
  })
})
