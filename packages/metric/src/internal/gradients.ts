/**
 * @internal Registers the gradient functions of every tfjs op. `@tensorflow/tfjs-core` alone registers none (the
 * `@tensorflow/tfjs` umbrella does it on import, and its ESM `register_all_gradients.js` cannot be loaded by Node:
 * extension-less imports); the Node bundle of `@tensorflow/tfjs-layers` registers them all into tfjs's global
 * registry on load. Idempotent; imported by every module of this package that differentiates.
 */
import "@tensorflow/tfjs-layers"
