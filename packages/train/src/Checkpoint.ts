/**
 * Checkpoints: every learner's weights and optimizer state, the sampling Rng state, the position in the run
 * and the run's configuration, in one file written atomically (temporary file, fsync, rename, fsync of the
 * directory): a crash leaves either the previous checkpoint or the new one, never a half-written file.
 *
 * File layout: the 8 bytes `RFXCKPT1`, a little-endian uint32 header length, the JSON header
 * (position, Rng state, optimizer kinds and step counts, tensor manifest in `tf.io` form, metadata), then
 * the tensor data (`tf.io.encodeWeights`).
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as tf from "@tensorflow/tfjs-core"
import type { TrainableModel } from "@reidfx/model"
import type { RandomState } from "@reidfx/tensor"
import { Effect, type Scope } from "effect"
import { CheckpointError } from "./errors.ts"
import type { Optimizer, OptimizerState } from "./optim/Optimizer.ts"

const MAGIC = "RFXCKPT1"

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

const termsOf = (l: CapturedLearner): Map<string, tf.Tensor> => new Map((l.objective?.variables ?? []).map((v, i) => [termKey(i), v] as const))

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
  readonly learners: ReadonlyArray<{ readonly name: string; readonly optimizer: { readonly kind: string; readonly steps: number } }>
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
  learners: learners.map((l) => ({ name: l.name, weights: l.model.weights(), optimizer: l.optimizer.state(), terms: termsOf(l) }))
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
        learners: data.learners.map((l) => ({ name: l.name, optimizer: { kind: l.optimizer.kind, steps: l.optimizer.steps } })),
        meta: data.meta,
        weights: specs
      }
      const json = new TextEncoder().encode(JSON.stringify(header))
      const prefix = new Uint8Array(12)
      prefix.set(new TextEncoder().encode(MAGIC), 0)
      new DataView(prefix.buffer).setUint32(8, json.byteLength, true)
      const dir = path.dirname(path.resolve(file))
      await fs.mkdir(dir, { recursive: true })
      const tmp = `${path.resolve(file)}.tmp-${process.pid}`
      const handle = await fs.open(tmp, "w")
      try {
        await handle.write(prefix)
        await handle.write(json)
        await handle.write(new Uint8Array(bytes as ArrayBuffer))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await fs.rename(tmp, file)
      const dirHandle = await fs.open(dir, "r")
      try {
        await dirHandle.sync()
      } catch {
        // directory fsync is unsupported on some file systems; the rename is atomic anyway
      } finally {
        await dirHandle.close()
      }
    },
    catch: (cause) => new CheckpointError({ path: file, detail: `cannot write: ${String(cause)}`, cause })
  })

/** Whether a checkpoint file exists. */
export const exists = (file: string): Effect.Effect<boolean> => Effect.promise(() => fs.stat(file).then(() => true, () => false))

/** Reads a checkpoint; its tensors are owned by the current Scope. */
export const read = (file: string): Effect.Effect<CheckpointData, CheckpointError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const buf = await fs.readFile(file)
        if (buf.byteLength < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) throw new Error("not a reidfx checkpoint (bad magic)")
        const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(8, true)
        const header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + length))) as Header
        if (header.format !== "reidfx-checkpoint" || header.version !== 1) throw new Error(`unsupported checkpoint format ${header.format} v${header.version}`)
        const body = buf.subarray(12 + length)
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
          return { name: l.name, weights, optimizer: { kind: l.optimizer.kind as OptimizerState["kind"], steps: l.optimizer.steps, slots }, terms }
        })
        return { position: header.position, rng: header.rng, learners, meta: header.meta } satisfies CheckpointData
      },
      catch: (cause) => new CheckpointError({ path: file, detail: `cannot read: ${String(cause)}`, cause })
    }),
    (data) =>
      Effect.sync(() =>
        data.learners.forEach((l) => {
          l.weights.forEach((t) => { t.dispose() })
          l.optimizer.slots.forEach((t) => { t.dispose() })
          l.terms?.forEach((t) => { t.dispose() })
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
        if (saved === undefined) throw new Error(`no state for learner "${l.name}" (it has: ${data.learners.map((s) => s.name).join(", ")})`)
        const missing = l.model.network.specs.filter((s) => !saved.weights.has(s.name)).map((s) => s.name)
        if (missing.length > 0) throw new Error(`learner "${l.name}": the checkpoint lacks ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", ..." : ""}`)
        const owned = termsOf(l)
        const lacking = [...owned.keys()].filter((k) => !(saved.terms ?? new Map()).has(k))
        if (lacking.length > 0) throw new Error(`learner "${l.name}": the checkpoint lacks the parameters of its loss terms (${lacking.join(", ")})`)
        l.model.assign(saved.weights)
        for (const [k, v] of owned) (v as tf.Variable).assign(saved.terms!.get(k)!)
        l.optimizer.restore(saved.optimizer)
      }
    },
    catch: (cause) => new CheckpointError({ path: file, detail: `does not fit this run: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  })
