/**
 * Builds the torch addon (`native/torch_addon.cc` -> `native/build/reidfx_torch.node`) with a C++17 compiler
 * against Node-API headers from npm (`node-api-headers`: no download of Node's headers) and the first libtorch found:
 *
 * 1. `LIBTORCH`: a directory with `include/` and `lib/` (the official libtorch archive);
 * 2. the active Python's `torch` package (`pip install torch`; its directory has the same layout);
 * 3. Debian's `libtorch-dev` (`apt-get install libtorch-dev`: headers under /usr/include, libraries in the
 *    multiarch directory).
 *
 * `CXX` picks the compiler (default g++). The build is skipped when the addon is newer than its source and the
 * libtorch found is the one it was built against. On failure it prints what is missing and how to get it, and
 * exits with status 1. `native/build/build-info.json` records the libtorch used (read by the backend to explain
 * failures).
 *
 * Run: `npm run build:torch` (from the repository root) or `node packages/torch-backend/scripts/build-addon.ts`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const source = join(root, "native", "torch_addon.cc")
const outDir = join(root, "native", "build")
const output = join(outDir, "reidfx_torch.node")
const infoPath = join(outDir, "build-info.json")

interface Libtorch {
  readonly from: "LIBTORCH" | "python" | "debian"
  readonly includes: ReadonlyArray<string>
  readonly libDir: string | undefined
  readonly cxx11Abi: number | undefined
}

const fail = (what: string): never => {
  console.error(`torch backend: ${what}`)
  process.exit(1)
}

const layout = (dir: string, from: Libtorch["from"], cxx11Abi?: number): Libtorch | undefined =>
  existsSync(join(dir, "include", "ATen", "ATen.h"))
    ? {
        from,
        includes: [join(dir, "include"), join(dir, "include", "torch", "csrc", "api", "include")],
        libDir: join(dir, "lib"),
        cxx11Abi
      }
    : undefined

const fromPython = (): Libtorch | undefined => {
  for (const python of [process.env["PYTHON"], "python3", "python"]) {
    if (python === undefined || python.length === 0) continue
    const r = spawnSync(
      python,
      ["-c", "import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"],
      {
        encoding: "utf8"
      }
    )
    if (r.status !== 0) continue
    const [dir, abi] = r.stdout.trim().split("\n")
    if (dir !== undefined) {
      const found = layout(dir, "python", Number(abi))
      if (found !== undefined) return found
    }
  }
  return undefined
}

const fromDebian = (): Libtorch | undefined =>
  existsSync("/usr/include/ATen/ATen.h") && existsSync("/usr/include/torch/csrc/api/include/torch/version.h")
    ? { from: "debian", includes: ["/usr/include/torch/csrc/api/include"], libDir: undefined, cxx11Abi: undefined }
    : undefined

const findLibtorch = (): Libtorch => {
  const env = process.env["LIBTORCH"]
  if (env !== undefined && env.length > 0) {
    return (
      layout(env, "LIBTORCH") ??
      fail(
        `LIBTORCH=${env} has no include/ATen/ATen.h: point it at an unpacked libtorch archive (with include/ and lib/)`
      )
    )
  }
  return (
    fromPython() ??
    fromDebian() ??
    fail(
      "no libtorch found. Install one of: Debian's `apt-get install libtorch-dev`; `pip install torch` (the active python3's torch is used); " +
        "or unpack the libtorch archive from pytorch.org and set LIBTORCH to its directory. Then run `npm run build:torch` again."
    )
  )
}

const compiler = process.env["CXX"] ?? "g++"
if (spawnSync(compiler, ["--version"]).status !== 0) {
  fail(
    `no C++ compiler (${compiler}): install one (\`apt-get install g++\`) or set CXX, then run \`npm run build:torch\` again`
  )
}

const libtorch = findLibtorch()
const require = createRequire(import.meta.url)
const napiInclude = (() => {
  try {
    return (require("node-api-headers") as { include_dir: string }).include_dir
  } catch {
    return fail(
      "the npm package node-api-headers is missing: run `npm ci` (it is a devDependency of @reidfx/torch-backend)"
    )
  }
})()

const key = JSON.stringify(libtorch)
if (existsSync(output) && existsSync(infoPath) && statSync(output).mtimeMs > statSync(source).mtimeMs) {
  const previous = JSON.parse(readFileSync(infoPath, "utf8")) as { key?: string }
  if (previous.key === key) {
    console.log(`torch backend: ${output} is up to date (libtorch from ${libtorch.from})`)
    process.exit(0)
  }
}

const libs = ["torch", "torch_cpu", "c10"]
const cudaLibs =
  libtorch.libDir !== undefined && existsSync(join(libtorch.libDir, "libtorch_cuda.so"))
    ? ["torch_cuda", "c10_cuda"]
    : []
const args = [
  "-O2",
  "-std=c++17",
  "-shared",
  "-fPIC",
  "-fvisibility=hidden",
  "-Wno-deprecated-declarations",
  ...(libtorch.cxx11Abi === undefined ? [] : [`-D_GLIBCXX_USE_CXX11_ABI=${libtorch.cxx11Abi}`]),
  `-I${napiInclude}`,
  ...libtorch.includes.map((i) => `-I${i}`),
  source,
  "-o",
  output,
  ...(libtorch.libDir === undefined ? [] : [`-L${libtorch.libDir}`, `-Wl,-rpath,${libtorch.libDir}`]),
  // CUDA libraries register their kernels at load time: keep them linked even though no symbol is referenced
  "-Wl,--no-as-needed",
  ...[...libs, ...cudaLibs].map((l) => `-l${l}`),
  "-Wl,--as-needed"
]
mkdirSync(outDir, { recursive: true })
console.log(`torch backend: compiling the addon against libtorch from ${libtorch.from} (${compiler}; about a minute)`)
const started = Date.now()
try {
  execFileSync(compiler, args, { stdio: "inherit" })
} catch {
  fail(`compiling ${source} failed (see the compiler output above); command: ${compiler} ${args.join(" ")}`)
}
writeFileSync(
  infoPath,
  JSON.stringify({ key, libtorch, compiler, cuda: cudaLibs.length > 0, builtAt: new Date().toISOString() }, null, 2)
)
console.log(`torch backend: built ${output} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
