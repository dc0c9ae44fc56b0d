/**
 * The identity loss on the current task's classes only, as multi-head lifelong ReID code computes it with one
 * classifier per task (PatchKD: feifeiobama/PatchKD `pkd/operation/train_p_s.py` line 95,
 * `ide_criterion(cls_score_list[-1], local_pids)`: the current task's head and the task-local labels). On the
 * engine's growing classifier (old classes first) that is the label-smoothed cross-entropy of the logits' last
 * `K - K_old` columns with labels shifted by `K_old`:
 *
 *     L = 1/B sum_b -sum_{k >= K_old} q_bk log softmax(z_b[K_old:])_k,   q = (1 - eps) onehot(y - K_old) + eps / (K - K_old)
 *
 * A label of an old class (an exemplar) has no column here: a typed `InvalidOption` (`@reidfx/metric`'s check).
 * @since 0.4.0
 */
import { CrossEntropyLabelSmooth, MissingOutput, type Step, Term } from "@reidfx/metric"
import * as tf from "@tensorflow/tfjs-core"

/** The loss as a Term for a model whose first `oldClasses` columns are earlier tasks'. @category constructors */
export const taskCrossEntropy = (oldClasses: number, options: { readonly epsilon: number; readonly weight: number }) =>
  Term.make(
    "crossEntropyLabelSmooth",
    { epsilon: options.epsilon, classes: "task" },
    (step: Step) => {
      const logits = step.outputs.logits
      if (logits === undefined) {
        throw new MissingOutput({
          term: "crossEntropyLabelSmooth",
          field: "outputs.logits",
          hint: "use a model with a classifier head"
        })
      }
      const local = tf.slice(logits, [0, oldClasses], [-1, logits.shape[1] - oldClasses]) as tf.Tensor2D
      const labels = tf.sub(step.labels, tf.scalar(oldClasses, "int32")) as tf.Tensor1D
      try {
        return CrossEntropyLabelSmooth.loss(local, labels, { epsilon: options.epsilon })
      } finally {
        tf.dispose([local, labels])
      }
    },
    options.weight
  )
