/**
 * Cross-batch memory (Wang, Zhang, Huang & Scott, CVPR 2020, "Cross-Batch Memory for Embedding Learning"), as
 * PML 2.8.1 implements it (`losses/cross_batch_memory.py`): a FIFO queue of the last `memorySize` embeddings
 * (detached) and their labels. At each step the batch is enqueued first, then the wrapped pair loss is
 * computed with the batch as anchors and the whole memory as references (so positives and negatives come from
 * past batches too), without the self comparisons of the batch's own entries.
 *
 * Here the references are laid out as `[the batch (detached), the most recent older entries]`, at most
 * `memorySize` in all, and marked `sameItems` (reference i is anchor i), which removes exactly PML's self
 * comparisons; the set of pairs is PML's (only the order of the references differs, which matters to ties in
 * hard mining alone). The memory is a scoped resource of the term (emptied when its Scope closes) and is
 * enqueued once per `step.index`. Works with every loss taking `extras.references`: contrastive, triplet
 * (batch-hard, batch-all, via miners), multi-similarity, NT-Xent, SupCon, lifted structure, margin, circle.
 * Default memory size 1024 (PML's).
 * @since 0.2.0
 */
import { type Embeddings, InvalidOption, type Labels, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema, type Scope } from "effect"
import { decoder } from "./internal/options.ts"
import { embeddingsOf, type LossValue, type PairExtras, type References, type TermOptions } from "./Loss.ts"
import * as Term from "./Term.ts"

/** Options (PML default: memory size 1024). */
export const Options = Schema.Struct({
  memorySize: Schema.Int.check(Schema.isGreaterThan(0)).pipe(Schema.withDecodingDefaultKey(Effect.succeed(1024)))
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `crossBatchMemory` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "crossBatchMemory")

/** A queue of detached embeddings and labels. @category models */
export interface Memory {
  readonly memorySize: number
  /** Entries held (at most memorySize). */
  readonly size: () => number
  /** Enqueues a batch (detached copies; the oldest entries go when full). */
  readonly enqueue: (embeddings: Embeddings, labels: Labels) => void
  /**
   * The references of a batch already enqueued: `[the batch (detached), the most recent older entries]`,
   * `sameItems: true`. Tensors the caller owns (create them inside `tf.tidy`).
   */
  readonly references: (embeddings: Embeddings, labels: Labels) => References
  /** Empties the memory. */
  readonly clear: () => void
}

/** A memory as a plain value (use {@link make} for the scoped one). @category constructors */
export const unsafeMake = (memorySize: number): Memory => {
  let dim = -1
  let data = new Float32Array(0)
  const labels = new Int32Array(memorySize)
  let next = 0
  let filled = 0
  const enqueue = (embeddings: Embeddings, batchLabels: Labels) => {
    Tensor.assertShapes("crossBatchMemory", [
      [embeddings, ["batch", "dim"], "embeddings"],
      [batchLabels, ["batch"], "labels"]
    ])
    const [b, d] = embeddings.shape
    if (b > memorySize)
      throw new InvalidOption({
        what: "crossBatchMemory",
        detail: `a batch of ${b} does not fit a memory of ${memorySize}; raise memorySize`
      })
    if (dim === -1) {
      dim = d
      data = new Float32Array(memorySize * d)
    } else if (d !== dim)
      throw new InvalidOption({
        what: "crossBatchMemory",
        detail: `embeddings of dimension ${d}, the memory holds ${dim}`
      })
    const x = embeddings.dataSync()
    const y = batchLabels.dataSync()
    for (let i = 0; i < b; i++) {
      data.set(x.subarray(i * d, (i + 1) * d), next * d)
      labels[next] = y[i]!
      next = (next + 1) % memorySize
    }
    filled = Math.min(memorySize, filled + b)
  }
  const references = (embeddings: Embeddings, batchLabels: Labels): References => {
    const b = embeddings.shape[0]
    const older = Math.max(0, Math.min(filled - b, memorySize - b))
    const rows = b + older
    const out = new Float32Array(rows * dim)
    const outLabels = new Int32Array(rows)
    out.set(embeddings.dataSync().subarray(0, b * dim), 0)
    outLabels.set(batchLabels.dataSync() as ArrayLike<number>, 0)
    // the batch occupies the `b` slots before `next`; the older entries precede it (most recent first)
    for (let k = 0; k < older; k++) {
      const slot = (((next - b - 1 - k) % memorySize) + memorySize) % memorySize
      out.set(data.subarray(slot * dim, (slot + 1) * dim), (b + k) * dim)
      outLabels[b + k] = labels[slot]!
    }
    return {
      embeddings: tf.tensor2d(out, [rows, dim]) as Embeddings,
      labels: tf.tensor1d(outLabels, "int32") as Labels,
      sameItems: true
    }
  }
  return {
    memorySize,
    size: () => filled,
    enqueue,
    references,
    clear: () => {
      next = 0
      filled = 0
    }
  }
}

/** A memory owned by the current Scope (emptied when it closes). @category constructors */
export const make = (options: OptionsInput = {}): Effect.Effect<Memory, never, Scope.Scope> => {
  const o = decode(options)
  return Effect.acquireRelease(
    Effect.sync(() => unsafeMake(o.memorySize)),
    (m) => Effect.sync(() => m.clear())
  )
}

/** A pair loss the memory can wrap: `(anchors, labels, extras) => LossValue`, e.g. `(e, l, x) => Contrastive.loss(e, l, {}, x)`. */
export interface WrappedLoss {
  readonly name: string
  /** The wrapped loss, called with the batch against the memory's stored embeddings and labels. */
  readonly loss: (embeddings: Embeddings, labels: Labels, extras: PairExtras) => LossValue
}

/**
 * The wrapped loss with a cross-batch memory, as a Term (`crossBatchMemory({ memorySize: 1024 }, { name: "multiSimilarity",
 * loss: (e, l, x) => MultiSimilarity.loss(e, l, {}, x) })`). Cameras are not kept in the memory, so
 * `crossCameraPositives` cannot be used through it. @category constructors
 */
export const crossBatchMemory = (
  options: OptionsInput & Pick<TermOptions, "weight" | "embedding">,
  wrapped: WrappedLoss
): Term.Term<Scope.Scope> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  const name = `crossBatchMemory(${wrapped.name})`
  return Term.fromEffect(
    "crossBatchMemory",
    { memorySize: o.memorySize, loss: wrapped.name },
    Effect.map(make(o), (memory) => {
      let last: number | undefined
      return (step) => {
        const e = embeddingsOf(name, step, embedding)
        if (step.index !== last) {
          last = step.index
          memory.enqueue(e, step.labels)
        }
        const references = memory.references(e, step.labels)
        return wrapped.loss(e, step.labels, { references })
      }
    }),
    weight ?? 1
  )
}
