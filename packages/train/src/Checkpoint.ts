/**
 * Checkpoints: every learner's weights and optimizer state, the sampling Rng state, the position in the run
 * and the run's configuration, in one file written atomically (temporary file with every byte counted, fsync,
 * rename, fsync of the directory; `@reidfx/tensor` AtomicFile): a crash or a full disk leaves either the previous
 * checkpoint or the new one, never a half-written file.
 *
 * File layout (v2): the 8 bytes `RFXCKPT2`, a little-endian uint32 header length, the JSON header (position,
 * Rng state, optimizer kinds and step counts, tensor manifest in `tf.io` form, metadata), the tensor data
 * (`tf.io.encodeWeights`), then the SHA-256 of everything before it (32 bytes). A new checkpoint is read back
 * and its checksum verified before it replaces the current one; the current one is kept as `<file>.prev` until
 * then, and {@link read} falls back to it when the current file fails its checksum. v1 files (`RFXCKPT1`, no
 * checksum) are still read.
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import type { TrainableModel } from "@reidfx/model"
import { AtomicFile, describeCause, type RandomState } from "@reidfx/tensor"
import { Effect, type Scope } from "effect"
import { CheckpointError } from "./errors.ts"
import type { Optimizer, OptimizerState } from "./optim/Optimizer.ts"

const MAGIC_V1 = "RFXCKPT1"
const MAGIC = "RFXCKPT2"
const DIGEST = 32

/** The file the previous good checkpoint is kept in while a new one is written. */
export const previousOf = (file: string): string => `${file}.prev`

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest())

/** Whether `bytes` end with the SHA-256 of what precedes them (v2), or are a v1 file (no checksum). */
const verify = (bytes: Uint8Array): string | undefined => {
  if (bytes.byteLength < 12) return `too short (${bytes.byteLength} bytes)`
  const magic = new TextDecoder().decode(bytes.subarray(0, 8))
  if (magic === MAGIC_V1) return undefined
  if (magic !== MAGIC) return "not a reidfx checkpoint (bad magic)"
  if (bytes.byteLength < 12 + DIGEST) return `truncated (${bytes.byteLength} bytes)`
  const expected = sha256(bytes.subarray(0, bytes.byteLength - DIGEST))
  const stored = bytes.subarray(bytes.byteLength - DIGEST)
  return expected.every((b, i) => b === stored[i]) ? undefined : "checksum mismatch (the file is truncated or corrupt)"
}

/** Where a run stands: the next step to run. */
export interface RunPosition {
  /** Global index of the next step. */
  readonly nextStep: number
  readonly epoch: number
  readonly stepInEpoch: number
}

/** What a checkpoint holds for one learner. */
export interface LearnerState {
  readonly name: string
  readonly weights: ReadonlyMap<string, tf.Tensor>
  readonly optimizer: OptimizerState
  /** The parameters the objective's terms own (proxies, class weights), keyed `terms/<index>`. */
  readonly terms?: ReadonlyMap<string, tf.Tensor>
}

/** The checkpoint key of the i-th parameter owned by an objective's terms (stable across processes). */
export const termKey = (index: number): string => `terms/${index}`

type CapturedLearner = {
  readonly name: string
  readonly model: TrainableModel
  readonly optimizer: Optimizer
  readonly objective?: { readonly variables?: ReadonlyArray<tf.Variable> | undefined }
}

const termsOf = (l: CapturedLearner): Map<string, tf.Tensor> =>
  new Map((l.objective?.variables ?? []).map((v, i) => [termKey(i), v] as const))

/** Everything a checkpoint restores: the position in the run, the random state and each learner's state. */
export interface CheckpointData {
  readonly position: RunPosition
  readonly rng: RandomState
  readonly learners: ReadonlyArray<LearnerState>
  /** Free JSON (the run config, the seed, ...). */
  readonly meta: unknown
}

interface Header {
  readonly format: "reidfx-checkpoint"
  readonly version: 1
  readonly position: RunPosition
  readonly rng: RandomState
  readonly learners: ReadonlyArray<{
    readonly name: string
    readonly optimizer: { readonly kind: string; readonly steps: number }
  }>
  readonly meta: unknown
  readonly weights: Array<tf.io.WeightsManifestEntry>
}

/** Captures the state of learners (their tensors are not copied: write it before training goes on). */
export const capture = (
  learners: ReadonlyArray<CapturedLearner>,
  position: RunPosition,
  rng: RandomState,
  meta: unknown = null
): CheckpointData => ({
  position,
  rng,
  meta,
  learners: learners.map((l) => ({
    name: l.name,
    weights: l.model.weights(),
    optimizer: l.optimizer.state(),
    terms: termsOf(l)
  }))
})

/** Writes a checkpoint atomically. */
export const write = (file: string, data: CheckpointData): Effect.Effect<void, CheckpointError> =>
  Effect.tryPromise({
    try: async () => {
      const named: Array<{ name: string; tensor: tf.Tensor }> = []
      for (const l of data.learners) {
        for (const [k, t] of l.weights) named.push({ name: `${l.name}/model/${k}`, tensor: t })
        for (const [k, t] of l.optimizer.slots) named.push({ name: `${l.name}/optimizer/${k}`, tensor: t })
        for (const [k, t] of l.terms ?? []) named.push({ name: `${l.name}/${k}`, tensor: t })
      }
      const { data: bytes, specs } = await tf.io.encodeWeights(named)
      const header: Header = {
        format: "reidfx-checkpoint",
        version: 1,
        position: data.position,
        rng: data.rng,
        learners: data.learners.map((l) => ({
          name: l.name,
          optimizer: { kind: l.optimizer.kind, steps: l.optimizer.steps }
        })),
        meta: data.meta,
        weights: specs
      }
      const json = new TextEncoder().encode(JSON.stringify(header))
      const body = new Uint8Array(bytes as ArrayBuffer)
      const all = new Uint8Array(12 + json.byteLength + body.byteLength + DIGEST)
      all.set(new TextEncoder().encode(MAGIC), 0)
      new DataView(all.buffer).setUint32(8, json.byteLength, true)
      all.set(json, 12)
      all.set(body, 12 + json.byteLength)
      all.set(sha256(all.subarray(0, all.byteLength - DIGEST)), all.byteLength - DIGEST)
      const target = path.resolve(file)
      const dir = path.dirname(target)
      await fs.mkdir(dir, { recursive: true })
      const tmp = AtomicFile.tempName(target)
      try {
        await AtomicFile.writeSyncedPromise(tmp, all)
        const back = await fs.readFile(tmp)
        const problem = verify(back)
        if (problem !== undefined || back.byteLength !== all.byteLength)
          throw new Error(`the new checkpoint did not verify after writing: ${problem ?? "length differs"}`)
        // keep the current (verified on its own write) checkpoint as .prev until the new one is in place
        const prev = previousOf(target)
        if (
          await fs.stat(target).then(
            () => true,
            () => false
          )
        ) {
          const prevTmp = AtomicFile.tempName(prev)
          await fs.link(target, prevTmp).catch(() => fs.copyFile(target, prevTmp))
          await fs.rename(prevTmp, prev)
        }
        await fs.rename(tmp, target)
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => undefined)
        throw e
      }
      await AtomicFile.fsyncDir(dir)
    },
    catch: (cause) =>
      new CheckpointError({
        path: file,
        detail: `cannot write: ${describeCause(cause)}; the previous checkpoint is kept`,
        cause
      })
  })

/** Whether a checkpoint file exists. */
export const exists = (file: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    fs.stat(file).then(
      () => true,
      () => false
    )
  )

/** Reads a checkpoint; its tensors are owned by the current Scope. */
export const read = (file: string): Effect.Effect<CheckpointData, CheckpointError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        let buf: Uint8Array = await fs.readFile(file)
        const problem = verify(buf)
        if (problem !== undefined) {
          const prev = await fs.readFile(previousOf(file)).catch(() => undefined)
          if (prev === undefined || verify(prev) !== undefined) throw new Error(problem)
          process.stderr.write(`checkpoint ${file}: ${problem}; using the previous checkpoint ${previousOf(file)}\n`)
          buf = prev
        }
        const v1 = new TextDecoder().decode(buf.subarray(0, 8)) === MAGIC_V1
        const end = v1 ? buf.byteLength : buf.byteLength - DIGEST
        const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true)
        if (12 + length > end) throw new Error(`header length ${length} exceeds the file (${buf.byteLength} bytes)`)
        const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + length))) as Header
        if (header.format !== "reidfx-checkpoint" || header.version !== 1)
          throw new Error(`unsupported checkpoint format ${header.format} v${header.version}`)
        const body = buf.subarray(12 + length, end)
        const copy = new Uint8Array(body.byteLength)
        copy.set(body)
        const tensors = tf.io.decodeWeights(copy.buffer, header.weights)
        const learners: Array<LearnerState> = header.learners.map((l) => {
          const weights = new Map<string, tf.Tensor>()
          const slots = new Map<string, tf.Tensor>()
          const terms = new Map<string, tf.Tensor>()
          for (const [name, t] of Object.entries(tensors)) {
            if (name.startsWith(`${l.name}/model/`)) weights.set(name.slice(l.name.length + 7), t)
            else if (name.startsWith(`${l.name}/optimizer/`)) slots.set(name.slice(l.name.length + 11), t)
            else if (name.startsWith(`${l.name}/terms/`)) terms.set(name.slice(l.name.length + 1), t)
          }
          return {
            name: l.name,
            weights,
            optimizer: { kind: l.optimizer.kind as OptimizerState["kind"], steps: l.optimizer.steps, slots },
            terms
          }
        })
        return { position: header.position, rng: header.rng, learners, meta: header.meta } satisfies CheckpointData
      },
      catch: (cause) =>
        new CheckpointError({
          path: file,
          detail: `cannot read: ${cause instanceof Error && !("code" in cause) ? cause.message : describeCause(cause)}`,
          cause
        })
    }),
    (data) =>
      Effect.sync(() =>
        data.learners.forEach((l) => {
          l.weights.forEach((t) => {
            t.dispose()
          })
          l.optimizer.slots.forEach((t) => {
            t.dispose()
          })
          l.terms?.forEach((t) => {
            t.dispose()
          })
        })
      )
  )

/** Restores learners from checkpoint data (by learner name). */
export const restore = (
  file: string,
  data: CheckpointData,
  learners: ReadonlyArray<CapturedLearner>
): Effect.Effect<void, CheckpointError> =>
  Effect.try({
    try: () => {
      for (const l of learners) {
        const saved = data.learners.find((s) => s.name === l.name)
        if (saved === undefined)
          throw new Error(`no state for learner "${l.name}" (it has: ${data.learners.map((s) => s.name).join(", ")})`)
        const missing = l.model.network.specs.filter((s) => !saved.weights.has(s.name)).map((s) => s.name)
        if (missing.length > 0)
          throw new Error(
            `learner "${l.name}": the checkpoint lacks ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`
          )
        const owned = termsOf(l)
        const lacking = [...owned.keys()].filter((k) => !(saved.terms ?? new Map()).has(k))
        if (lacking.length > 0)
          throw new Error(
            `learner "${l.name}": the checkpoint lacks the parameters of its loss terms (${lacking.join(", ")})`
          )
        l.model.assign(saved.weights)
        for (const [k, v] of owned) (v as tf.Variable).assign(saved.terms!.get(k)!)
        l.optimizer.restore(saved.optimizer)
      }
    },
    catch: (cause) =>
      new CheckpointError({
        path: file,
        detail: `does not fit this run: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
  })
