/**
 * DarkRank (Chen, Wang & Zhang, "DarkRank: Accelerating Deep Metric Learning via Cross Sample Similarities
 * Transfer", AAAI 2018): the student learns the teacher's *ranking* of the other samples of the batch around
 * each query, through a listwise learning-to-rank loss over the score
 *
 *     S(x_j; x_q) = -alpha * ||x_q - x_j||^beta
 *
 * and the Plackett-Luce probability of a permutation pi of a candidate list,
 *
 *     P(pi | X) = prod_{i=1}^{n} exp(S(x_{pi_i})) / sum_{k=i}^{n} exp(S(x_{pi_k}))
 *
 * - **soft transfer** (ListNet-style): the KL divergence between the teacher's and the student's distributions over
 *   all permutations of the list, `KL(P(. | X_t) || P(. | X_s))`;
 * - **hard transfer** (ListMLE-style): the negative log-likelihood, under the student, of the teacher's ranking
 *   `pi_t` (candidates by increasing teacher distance), `-log P(pi_t | X_s)`.
 *
 * Both are averaged over the queries (every sample of the batch in turn); the candidates of a query are the other
 * samples. As in the authors' released code (github.com/TuSimple/DarkRank, `PYOP/listnet_loss.py`), the soft
 * transfer enumerates the permutations of the teacher's `listLength` nearest candidates only (n! grows too fast
 * for the whole batch; their README's command uses `--list-length 4`), and the hard transfer ranks every
 * candidate (`PYOP/listmle_loss.py`). Their code computes the cross-entropy `-sum P_t log P_s`; the KL used here
 * differs by the teacher's entropy, a constant, so the gradients are the same and the value is 0 when the
 * student's scores equal the teacher's.
 *
 * **alpha and beta.** The released code scores L2-normalised embeddings by `-(scale * ||x_q - x_j||^2)^power`,
 * run with `--embedding-l2-norm 3.5 --score-power 2.0`: that is alpha = 3.5^2 = 12.25 and beta = 4 on
 * normalised embeddings, the defaults here (`normalize: true`). The teacher's list is ranked by its own distances;
 * its scores (soft transfer) use the same alpha and beta. The teacher is detached. The code's queries are the
 * first half of each "even" batch (the paired half); here every sample is a query. The authors weight the term
 * by 16 (ListNet) in the README's command: set the term's `weight`.
 *
 * `mutualDarkRank` is the same transfer between two peers trained together (the talk's "mutual learning in
 * ranking"): each model learns the other's ranking, with zero gradient through the target.
 * @since 0.1.0
 */
import { Distance, Loss, type Term } from "@reidfx/metric"
import { type Embeddings, InvalidOption, Tensor } from "@reidfx/tensor"
import * as tf from "@tensorflow/tfjs-core"
import { Schema } from "effect"
import { detach } from "../Gradient.ts"
import { booleanWithDefault, decoder, literalWithDefault, positive } from "../internal/options.ts"
import { embeddingOf, fromPeer, fromSource, type TermFields } from "../internal/term.ts"
import { Peer } from "../Peer.ts"
import * as Source from "../Source.ts"
import type { Teacher } from "../Teacher.ts"

/** The largest list the soft transfer enumerates (7! = 5040 permutations). @category models @since 0.1.0 */
export const MAX_SOFT_LIST = 7

/** Options (defaults from the authors' released code, see the module doc). @since 0.1.0 */
export const Options = Schema.Struct({
  /** `soft` (ListNet-style KL over permutations, default) or `hard` (ListMLE-style likelihood of the teacher's ranking). */
  transfer: literalWithDefault(["soft", "hard"], "soft"),
  /** alpha, the scale of the score `-alpha * d^beta`. Default 12.25. */
  alpha: positive(12.25),
  /** beta, the power of the distance in the score. Default 4. */
  beta: positive(4),
  /**
   * Candidates per query: the teacher's nearest `listLength` other samples. Default 4 for the soft transfer
   * (at most 7); 0 means every other sample of the batch (the hard transfer's default; soft needs a list <= 7).
   */
  listLength: Schema.optionalKey(Schema.Finite.check(Schema.isInt()).check(Schema.isGreaterThanOrEqualTo(0))),
  /** L2-normalise both models' embeddings before the distances (as the authors' code). Default true. */
  normalize: booleanWithDefault(true),
  /** `both` (default) or `fromPeer`: for `mutualDarkRank`, whether the peer also learns the model's ranking. */
  directions: literalWithDefault(["both", "fromPeer"], "both")
})
export type Options = typeof Options.Type
/** The options as written in code or a protocol file, before defaults are applied (the encoded side of `Options`). @since 0.1.0 */
export type OptionsInput = typeof Options.Encoded
/** Decodes `darkRank` options, filling defaults; an unknown key or a bad value is a typed error naming the key. @since 0.1.0 */
export const decode = decoder(Options, "darkRank")

/** The list length used for a batch of `n` (see {@link Options}). @category math @since 0.1.0 */
export const listLengthOf = (o: Pick<Options, "transfer" | "listLength">, n: number): number => {
  const asked = o.listLength ?? (o.transfer === "soft" ? 4 : 0)
  if (o.transfer === "soft" && (asked === 0 || asked > MAX_SOFT_LIST)) {
    throw new InvalidOption({
      what: "darkRank options",
      detail: `the soft transfer enumerates listLength! permutations: listLength must be 1..${MAX_SOFT_LIST}, got ${asked === 0 ? "0 (whole batch)" : asked}`
    })
  }
  return asked === 0 ? n - 1 : Math.min(asked, n - 1)
}

/** `[N, N]` scores `-alpha * d_ij^beta` (the diagonal, never a candidate, is made safe for small beta). @category math @since 0.1.0 */
export const scores = (x: Embeddings, alpha: number, beta: number, normalize: boolean): tf.Tensor2D =>
  tf.tidy(() => {
    const d = Distance.make("euclidean", { normalize }).matrix(x)
    const safe = tf.add(d, tf.eye(x.shape[0]))
    return tf.mul(tf.pow(safe, beta), -alpha) as tf.Tensor2D
  })

/** For each query (row), the other indices by increasing distance (ties to the lower index), cut to `length`. @category math @since 0.1.0 */
export const rankings = (distances: tf.Tensor2D, length: number): Int32Array => {
  const n = distances.shape[0]
  const d = distances.dataSync()
  const out = new Int32Array(n * length)
  for (let q = 0; q < n; q++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== q)
    others.sort((a, b) => d[q * n + a]! - d[q * n + b]! || a - b)
    for (let i = 0; i < length; i++) out[q * length + i] = others[i]!
  }
  return out
}

/** The entries `s[q, order[q, i]]` as `[N, L]` (differentiable, by one-hot products). @category math @since 0.1.0 */
export const listScores = (s: tf.Tensor2D, order: Int32Array, length: number): tf.Tensor2D =>
  tf.tidy(() => {
    const n = s.shape[0]
    const rows = Int32Array.from({ length: n * length }, (_, t) => Math.floor(t / length))
    return tf.reshape(Loss.selectEntries(s, rows, order), [n, length]) as tf.Tensor2D
  })

/**
 * `log P(pi = identity | x)` under Plackett-Luce for lists `x: [..., L]` already in the ranked order:
 * `sum_i (x_i - logsumexp_{k >= i} x_k)`, each suffix's log-sum-exp taken stably. Returns `[...]`.
 * @category math
 * @since 0.1.0
 */
export const plackettLuceLogProb = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const l = x.shape[x.shape.length - 1]!
    const mask = new Float32Array(l * l)
    for (let i = 0; i < l; i++) for (let k = 0; k < i; k++) mask[i * l + k] = -1e30
    const suffix = tf.logSumExp(tf.add(tf.expandDims(x, -2), tf.tensor2d(mask, [l, l])), -1) // [..., L]
    return tf.sum(tf.sub(x, suffix), -1)
  })

/** Every permutation of `0..l-1`, in lexicographic order. @category math @since 0.1.0 */
export const permutations = (l: number): Array<Array<number>> => {
  if (l <= 1) return [Array.from({ length: l }, (_, i) => i)]
  const out: Array<Array<number>> = []
  for (const rest of permutations(l - 1)) {
    for (let at = 0; at <= rest.length; at++) out.push([...rest.slice(0, at), l - 1, ...rest.slice(at)])
  }
  return out.sort((a, b) => {
    for (let i = 0; i < l; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return 0
  })
}

/** `[N, L] -> [N, L!]`: the Plackett-Luce log-probability of every permutation of each row's list. @category math @since 0.1.0 */
export const allPermutationLogProbs = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => {
    const [n, l] = x.shape
    const perms = permutations(l)
    const select = new Float32Array(l * perms.length * l)
    perms.forEach((perm, p) => {
      perm.forEach((j, i) => {
        select[j * perms.length * l + p * l + i] = 1
      })
    })
    const permuted = tf.reshape(tf.matMul(x, tf.tensor2d(select, [l, perms.length * l])), [n, perms.length, l])
    return plackettLuceLogProb(permuted) as tf.Tensor2D
  })

/**
 * One direction of DarkRank: the student (`[N, D_s]`) learns the ranking of the target (`[N, D_t]`, detached).
 * `stats.listLength` is the number of candidates per query.
 * @category math
 * @since 0.1.0
 */
export const loss = (student: Embeddings, teacher: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  Tensor.assertShapes("darkRank", [
    [student, ["batch", null], "student embeddings"],
    [teacher, ["batch", null], "teacher embeddings"]
  ])
  const n = student.shape[0]
  const length = n < 2 ? 0 : listLengthOf(o, n)
  return Loss.tidyLoss(() => {
    if (length === 0) return { loss: Loss.zeroLoss(student), stats: Loss.stats({ listLength: 0 }) }
    const target = detach(teacher)
    const dt = Distance.make("euclidean", { normalize: o.normalize }).matrix(target)
    const order = rankings(dt, length)
    const xs = listScores(scores(student, o.alpha, o.beta, o.normalize), order, length)
    if (o.transfer === "hard") {
      return { loss: tf.neg(tf.mean(plackettLuceLogProb(xs))) as tf.Scalar, stats: Loss.stats({ listLength: length }) }
    }
    const xt = listScores(scores(target, o.alpha, o.beta, o.normalize), order, length)
    const logPt = allPermutationLogProbs(xt)
    const logPs = allPermutationLogProbs(xs)
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1)
    return { loss: tf.mean(kl) as tf.Scalar, stats: Loss.stats({ listLength: length }) }
  })
}

/**
 * Mutual DarkRank between two peers' embeddings of the same batch: `loss(a, b) + loss(b, a)` (each direction
 * with zero gradient through its target), or only `loss(a, b)` with `directions: "fromPeer"`.
 * @category math
 * @since 0.1.0
 */
export const mutualLoss = (a: Embeddings, b: Embeddings, options: OptionsInput = {}): Loss.LossValue => {
  const o = decode(options)
  return Loss.tidyLoss(() => {
    const fromPeerValue = loss(a, b, o)
    if (o.directions === "fromPeer") return fromPeerValue
    const toPeer = loss(b, a, o)
    return {
      loss: tf.add(fromPeerValue.loss, toPeer.loss) as tf.Scalar,
      stats: { ...fromPeerValue.stats, fromPeer: fromPeerValue.loss, toPeer: toPeer.loss }
    }
  })
}

const describe = (o: Options) => ({
  transfer: o.transfer,
  alpha: o.alpha,
  beta: o.beta,
  listLength: o.listLength,
  normalize: o.normalize ? undefined : false
})

/**
 * DarkRank as a distillation Term: the {@link Teacher}'s (or another source's) ranking is the target. `Term<Teacher>`.
 * @category constructors
 * @since 0.1.0
 */
export const darkRank = <R = Teacher>(
  options: OptionsInput & TermFields = {},
  source?: Source.Source<R>
): Term.Term<R> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromSource(
    "darkRank",
    describe(o),
    weight,
    source ?? (Source.teacher as Source.Source<never>),
    (step, target) =>
      loss(
        embeddingOf(step.outputs, "darkRank", "the student's", embedding),
        embeddingOf(target, "darkRank", "the teacher's", embedding),
        o
      )
  )
}

/**
 * Mutual DarkRank as a Term between the trained model and its mutual {@link Peer}: `Term<Peer>`.
 * @category constructors
 * @since 0.1.0
 */
export const mutualDarkRank = (options: OptionsInput & TermFields = {}): Term.Term<Peer> => {
  const { weight, embedding, ...rest } = options
  const o = decode(rest)
  return fromPeer("mutualDarkRank", { ...describe(o), directions: o.directions }, weight, Peer, (step, peer) =>
    mutualLoss(
      embeddingOf(step.outputs, "mutualDarkRank", "the model's", embedding),
      embeddingOf(peer, "mutualDarkRank", "the peer's", embedding),
      o
    )
  )
}
