/**
 * `{ loss: aka, vertices, sigma, plasticity, stability, margin, activation }`: AKA (Pu et al. CVPR 2021, the
 * math in `reid/Aka.ts`): the plasticity (triplet on knowledge-enhanced features, every task) and stability (old
 * knowledge vertices kept, from the second task on) losses of an adaptive knowledge graph of `vertices` vertices,
 * kernel width `sigma`.
 *
 * AKA's state lives here, not in the learner: the knowledge graph is this entry's {@link ObjectiveTerm.State}
 * (created with the model, uniform vertices from the run's `aka/init` stream, trained with the model's optimizer,
 * saved beside its weights as `aka/...`), and the old model keeps a frozen copy of its vertices.
 * @since 0.3.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { Effect, Schema } from "effect"
import { NonNegative, Positive, PositiveInt, withDefault } from "../ProtocolFields.ts"
import * as Graph from "../reid/Aka.ts"
import * as ObjectiveTerm from "./ObjectiveTerm.ts"

/** The entry. @category catalog */
export const aka = ObjectiveTerm.make({
  name: "aka",
  description: "AKA (Pu et al. CVPR 2021): plasticity and stability losses of an adaptive knowledge graph",
  fields: {
    vertices: withDefault(PositiveInt, 64),
    sigma: withDefault(Positive, 2),
    plasticity: withDefault(NonNegative, 1),
    /** The authors' `--weight_r` (TPCD/LifelongReID `train_test.py`): 0.0005. */
    stability: withDefault(NonNegative, 0.0005),
    margin: withDefault(NonNegative, 0.3),
    /** The graph convolution's activation: `tanh` (default; the authors' `GraphConvolution`, `act=nn.Tanh()`) or none. */
    activation: Schema.optionalKey(Schema.Literals(["tanh", "none"]))
  },
  needs: { oldModel: "part" },
  state: {
    create: (spec, { featureDim, rng }) => Graph.makeGraph(spec.vertices, featureDim, rng),
    variables: (graph: Graph.KnowledgeGraph) => graph.named,
    freeze: (graph: Graph.KnowledgeGraph) =>
      Effect.acquireRelease(
        Effect.sync(() => tf.keep(tf.clone(graph.vertices)) as tf.Tensor2D),
        (v) => Effect.sync(() => v.dispose())
      )
  },
  make: (spec, { state }) =>
    state === undefined
      ? []
      : [
          Graph.plasticity(state, {
            ...spec,
            activation: spec.activation ?? "tanh",
            plasticity: spec.plasticity * spec.weight
          })
        ],
  makeWithOldModel: (spec, { oldState, state }) =>
    state === undefined || oldState === undefined
      ? []
      : [
          Graph.stability(state, oldState, {
            ...spec,
            activation: spec.activation ?? "tanh",
            stability: spec.stability * spec.weight
          })
        ]
})
