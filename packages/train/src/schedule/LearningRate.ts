/**
 * Learning-rate schedules: a warmup, then multistep or cosine decay (or constant), evaluated per step.
 *
 *     warmup (linear, Goyal et al. 2017; the "bag of tricks" uses factor 0.01 over 10 epochs):
 *         lr(t) = base * (factor * (1 - t / W) + t / W)          for t < W
 *     multistep (He et al. 2016):  lr(t) = base * gamma^(number of milestones <= t)
 *     cosine (Loshchilov and Hutter, SGDR, ICLR 2017, without restarts):
 *         lr(t) = min + (base - min) * (1 + cos(pi * (t - W) / (T - W))) / 2
 *
 * Times are in epochs in the config and in fractional epochs (`step / stepsPerEpoch`) when evaluated,
 * so the warmup ramps smoothly within epochs. Under multistep, the warmup factor multiplies the decay as in
 * the bag-of-tricks code (`WarmupMultiStepLR`).
 * @since 0.1.0
 */
import { ConfigAliases } from "@reidfx/tensor"
import { Console, Effect, Schema } from "effect"

const def = <S extends Schema.Top>(value: S["Type"]) => Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))
const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/** The warmup of a schedule: a linear ramp (or a constant factor) over the first epochs, as in BoT (Luo et al. 2019). */
export const Warmup = Schema.Struct({
  /** Warmup length in epochs (0: none). */
  epochs: NonNegative.pipe(def(0)),
  /** Starting multiplier of the linear warmup. */
  factor: Schema.Number.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1)).pipe(def(0.01)),
  method: Schema.Literals(["linear", "constant"]).pipe(def("linear"))
})

/** The decay after warmup: constant, multistep (times gamma at given epochs) or cosine. */
export const Decay = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("constant") }),
  Schema.Struct({
    kind: Schema.Literal("multistep"),
    /** Epochs at which the rate is multiplied by gamma. */
    milestones: Schema.Array(NonNegative),
    gamma: Schema.Number.check(Schema.isGreaterThan(0)).pipe(def(0.1))
  }),
  Schema.Struct({
    kind: Schema.Literal("cosine"),
    /** Final learning rate as a fraction of the base. */
    minFactor: NonNegative.pipe(def(0))
  })
])

/** A learning-rate schedule: base rate (`learningRate`, as every config dialect names it), warmup, decay. */
export const ScheduleConfig = Schema.Struct({
  learningRate: Schema.Number.check(Schema.isGreaterThan(0)),
  warmup: Warmup.pipe(def({ epochs: 0, factor: 0.01, method: "linear" } as typeof Warmup.Type)),
  decay: Decay.pipe(def({ kind: "constant" } as typeof Decay.Type))
})
export type ScheduleConfig = typeof ScheduleConfig.Type
/** The schedule as written in a file, before defaults are applied. */
export type ScheduleConfigInput = typeof ScheduleConfig.Encoded

/** A schedule: the learning rate at a step. */
export interface Schedule {
  readonly config: ScheduleConfig
  /** The learning rate at an optimizer step (0-based). */
  readonly at: (step: number) => number
}

/** Where a decay is evaluated: the base rate, the warmup factor and length, the fractional epoch, the run's epochs. */
interface DecayPoint {
  readonly learningRate: number
  readonly warm: number
  readonly warmupEpochs: number
  readonly epoch: number
  readonly totalEpochs: number
}

/**
 * The learning rate of each decay kind (a record of handlers, one per member of {@link Decay}: adding a decay is
 * its Schema member and its entry here).
 */
const decays: {
  readonly [K in typeof Decay.Type.kind]: (d: Extract<typeof Decay.Type, { readonly kind: K }>, p: DecayPoint) => number
} = {
  constant: (_, p) => p.learningRate * p.warm,
  // milestones are compared on whole epochs, like an epoch-wise scheduler stepped at each epoch's end
  multistep: (d, p) => {
    const epoch = Math.floor(p.epoch + 1e-9)
    const passed = d.milestones.filter((m) => epoch >= m).length
    return p.learningRate * p.warm * d.gamma ** passed
  },
  cosine: (d, p) => {
    const W = p.warmupEpochs
    if (p.epoch < W) return p.learningRate * p.warm
    const span = Math.max(p.totalEpochs - W, 1e-9)
    const progress = Math.min(1, (p.epoch - W) / span)
    const min = p.learningRate * d.minFactor
    return min + ((p.learningRate - min) * (1 + Math.cos(Math.PI * progress))) / 2
  }
}

/** The schedule of a decoded config for a run of `totalEpochs` epochs of `stepsPerEpoch` steps. */
export const make = (
  config: ScheduleConfig,
  options: { readonly stepsPerEpoch: number; readonly totalEpochs: number }
): Schedule => {
  const { stepsPerEpoch, totalEpochs } = options
  const W = config.warmup.epochs
  const at = (step: number): number => {
    const e = step / stepsPerEpoch
    let warm = 1
    if (e < W)
      warm = config.warmup.method === "constant" ? config.warmup.factor : config.warmup.factor * (1 - e / W) + e / W
    const point = { learningRate: config.learningRate, warm, warmupEpochs: W, epoch: e, totalEpochs }
    return decays[config.decay.kind](config.decay as never, point)
  }
  return { config, at }
}

/** The deprecated name of the base rate: `baseLr` is read as `learningRate`. */
export const aliases: ReadonlyArray<ConfigAliases.Alias> = [{ at: [], old: "baseLr", name: "learningRate" }]

/** Decodes a schedule config (defaults filled); a deprecated `baseLr` is read as `learningRate` with a warning line. */
export const decodeConfig = (input: ScheduleConfigInput | unknown) =>
  Effect.gen(function* () {
    const applied = ConfigAliases.apply(input, aliases)
    for (const w of applied.warnings) yield* Console.error(`warning: schedule: ${w}`)
    return yield* Schema.decodeUnknownEffect(ScheduleConfig)(applied.input, { onExcessProperty: "error" })
  })
