/**
 * An optimizer as a scoped resource: its slots (momentum buffers, Adam moments) are tensors owned by the
 * Scope it was made in, keyed by parameter name, so they can be checkpointed and restored exactly.
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { InvalidOption } from "@reidfx/tensor"
import { Effect, Schema, type Scope } from "effect"
import { OptimizerConfig, type OptimizerConfigInput } from "./OptimizerConfig.ts"
import { adamUpdate, sgdUpdate } from "./updates.ts"

/** A parameter to update, with its gradient. */
export interface ParamUpdate {
  /** Stable name (the model's parameter name), the key of its slots. */
  readonly name: string
  readonly variable: tf.Variable
  readonly grad: tf.Tensor
}

/** The serialisable state: step count and slot tensors named `<param>::<slot>`. */
export interface OptimizerState {
  readonly kind: OptimizerConfig["kind"]
  readonly steps: number
  readonly slots: ReadonlyMap<string, tf.Tensor>
}

/** An optimizer with its state (moments, step count), applying updates to variables. */
export interface Optimizer {
  readonly config: OptimizerConfig
  /** Number of updates applied so far. */
  readonly steps: () => number
  /** Applies one update at learning rate `lr` (synchronous; its temporaries are freed). */
  readonly apply: (updates: ReadonlyArray<ParamUpdate>, lr: number) => void
  /** The current state (tensors are the optimizer's own: do not dispose). */
  readonly state: () => OptimizerState
  /** Replaces the state (tensors are copied). */
  readonly restore: (state: OptimizerState) => void
}

/** The names of parameters exempt from weight decay under `decayScope: "weightsOnly"`. */
export const isNormOrBias = (name: string): boolean => /(^|\/)(gamma|beta|bias|p)$/.test(name)

/** Decodes an optimizer config (defaults filled), failing with {@link InvalidOption} naming the bad key. */
export const decodeConfig = (input: OptimizerConfigInput | unknown): Effect.Effect<OptimizerConfig, InvalidOption> =>
  Schema.decodeUnknownEffect(OptimizerConfig)(input, { onExcessProperty: "error" }).pipe(
    Effect.mapError((e) => new InvalidOption({ what: "optimizer config", detail: e.message }))
  )

/** An optimizer for a decoded config; its slots are disposed when the Scope closes. */
export const fromConfig = (config: OptimizerConfig): Effect.Effect<Optimizer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const slots = new Map<string, tf.Tensor>()
      let steps = 0
      const setSlot = (key: string, value: tf.Tensor | undefined) => {
        const old = slots.get(key)
        if (value === undefined) return
        slots.set(key, tf.keep(value))
        if (old !== undefined && old !== value) old.dispose()
      }
      const decayOf = (name: string) =>
        config.decayScope === "weightsOnly" && isNormOrBias(name) ? 0 : config.weightDecay
      const apply = (updates: ReadonlyArray<ParamUpdate>, lr: number) => {
        steps++
        for (const u of updates) {
          const weightDecay = decayOf(u.name)
          if (config.kind === "sgd") {
            const r = sgdUpdate(u.variable, u.grad, slots.get(`${u.name}::momentum`), {
              lr,
              momentum: config.momentum,
              dampening: config.dampening,
              nesterov: config.nesterov,
              weightDecay
            })
            u.variable.assign(r.param)
            r.param.dispose()
            setSlot(`${u.name}::momentum`, r.buffer)
          } else {
            const r = adamUpdate(u.variable, u.grad, slots.get(`${u.name}::m`), slots.get(`${u.name}::v`), {
              lr,
              beta1: config.beta1,
              beta2: config.beta2,
              epsilon: config.epsilon,
              weightDecay,
              decoupled: config.kind === "adamw",
              t: steps
            })
            u.variable.assign(r.param)
            r.param.dispose()
            setSlot(`${u.name}::m`, r.m)
            setSlot(`${u.name}::v`, r.v)
          }
        }
      }
      const optimizer: Optimizer & { readonly dispose: () => void } = {
        config,
        steps: () => steps,
        apply,
        state: () => ({ kind: config.kind, steps, slots }),
        restore: (state) => {
          if (state.kind !== config.kind)
            throw new Error(`optimizer: cannot restore a ${state.kind} state into ${config.kind}`)
          slots.forEach((t) => {
            t.dispose()
          })
          slots.clear()
          for (const [k, t] of state.slots) slots.set(k, tf.keep(t.clone()))
          steps = state.steps
        },
        dispose: () => {
          slots.forEach((t) => {
            t.dispose()
          })
          slots.clear()
        }
      }
      return optimizer
    }),
    (o) => Effect.sync(() => o.dispose())
  )

/** Decodes a config input, then {@link fromConfig}. */
export const make = (input: OptimizerConfigInput): Effect.Effect<Optimizer, InvalidOption, Scope.Scope> =>
  Effect.flatMap(decodeConfig(input), fromConfig)
